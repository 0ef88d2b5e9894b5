using P2p.Signaling.Server;
using P2p.Testing.Chromium;
using P2p.WebRtc.Dtls;

namespace P2p.Benchmarks.Report;

/// <summary>What the sections share: the table, one browser, one signaling server, one certificate.</summary>
internal sealed class Context
{
    public required ReportTable Table { get; init; }

    /// <summary>Null when Chromium is not measured.</summary>
    public ChromiumSession? Browser { get; init; }

    public required EmbeddedSignalingServer Signaling { get; init; }

    public RtcCertificate Certificate { get; } = RtcCertificate.Generate();

    /// <summary>
    /// The raw-UDP ceiling measured by the <c>ceilings</c> section in this run (MB/s of 1,200-byte datagram
    /// payload received on 127.0.0.1); null when that section did not run or failed.
    /// </summary>
    public double? RawUdpCeiling { get; set; }
}
