using System.Net;
using Microsoft.Extensions.Logging;
using P2p.WebRtc;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Ice;

namespace P2p.Transport.WebRtc;

/// <summary>Settings of the WebRTC transport: what every peer connection of a <see cref="WebRtcPeerConnectionFactory"/> uses.</summary>
public sealed record WebRtcTransportOptions
{
    /// <summary>
    /// STUN and TURN servers for every connection, shaped like the browser's <c>RTCIceServer</c> (<c>urls</c>,
    /// <c>username</c>, <c>credential</c>). Empty by default: no public server is ever used. Checked when the factory is
    /// created: a malformed URL throws <see cref="FormatException"/>, a TURN URL without credentials
    /// <see cref="ArgumentException"/>.
    /// </summary>
    public IReadOnlyList<RtcIceServer> IceServers { get; init; } = [];

    /// <summary>
    /// Ask the signaling server for STUN/TURN servers (<c>get_ice_servers</c>, typically with time-limited TURN
    /// credentials) and use them, after <see cref="IceServers"/>, for every new connection. The service
    /// (<c>P2pService</c>) fetches them when it joins and fetches fresh ones in the background, long before they expire;
    /// a signaling server without the method fails the join. Default <see langword="false"/>.
    /// </summary>
    public bool IceServersFromSignaling { get; init; }

    /// <summary>
    /// Which candidates ICE may use (the browser's <c>iceTransportPolicy</c>): <see cref="IceTransportPolicy.Relay"/>
    /// uses TURN relays only, and needs a TURN server in <see cref="IceServers"/> or <see cref="IceServersFromSignaling"/>.
    /// Default <see cref="IceTransportPolicy.All"/>.
    /// </summary>
    public IceTransportPolicy IceTransportPolicy { get; init; } = IceTransportPolicy.All;

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
