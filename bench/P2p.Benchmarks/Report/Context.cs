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
}
