using System.Net;
using Microsoft.Extensions.Logging;
using P2p.WebRtc;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Ice;

namespace P2p.Transport.WebRtc;

/// <summary>Settings of the WebRTC transport: what every peer connection of a <see cref="WebRtcPeerConnectionFactory"/> uses.</summary>
public sealed record WebRtcTransportOptions
{
    /// <summary>STUN servers (<c>stun:HOST:PORT</c>) for server-reflexive candidates. Empty by default: no public server is ever used.</summary>
    public IReadOnlyList<RtcIceServer> IceServers { get; init; } = [];

    /// <summary>Which local addresses are used for host candidates; null for every usable interface.</summary>
    public Func<IPAddress, bool>? AddressFilter { get; init; }

    /// <summary>
    /// The DTLS certificate shared by every connection; null generates one per factory (certificates
    /// are cheap, ≈0.5 ms, but sharing one saves the work per member).
    /// </summary>
    public RtcCertificate? Certificate { get; init; }

    /// <summary>The largest message this side accepts (<c>a=max-message-size</c>); the group layer splits larger messages.</summary>
    public int MaxMessageSize { get; init; } = RtcConfiguration.DefaultMaxMessageSize;

    /// <summary>Bytes a channel may have queued for sending before a send waits (back-pressure).</summary>
    public long MaxBufferedAmount { get; init; } = 4 << 20;

    /// <summary>
    /// ICE timeouts, consent freshness, socket settings and mDNS (<see cref="IceAgentOptions.Mdns"/>: browsers' <c>.local</c>
    /// host candidates are resolved by default; <c>MdnsMode.ResolveAndPublish</c> hides this member's host addresses too).
    /// </summary>
    public IceAgentOptions Ice { get; init; } = new();

    /// <summary>DTLS handshake timeout and retransmission.</summary>
    public DtlsTransportOptions Dtls { get; init; } = DtlsTransportOptions.Default;

    /// <summary>Logging for the WebRTC stack (P2p.Core logs through its own options); null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
