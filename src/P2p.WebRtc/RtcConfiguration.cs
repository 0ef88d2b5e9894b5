using System.Net;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Ice;

namespace P2p.WebRtc;

/// <summary>Settings of an <see cref="RtcPeerConnection"/> (the browser's <c>RTCConfiguration</c> and more).</summary>
public sealed record RtcConfiguration
{
    /// <summary>The default of <see cref="MaxMessageSize"/>: what Chromium and Firefox announce.</summary>
    public const int DefaultMaxMessageSize = 262144;

    /// <summary>
    /// STUN servers (server-reflexive candidates) and TURN servers (relayed candidates, also asked for a
    /// server-reflexive address over UDP), like the browser's <c>iceServers</c>. Empty by default: no public
    /// server is ever used.
    /// </summary>
    public IReadOnlyList<RtcIceServer> IceServers { get; init; } = [];

    /// <summary>Which candidates ICE may use; <see cref="Ice.IceTransportPolicy.Relay"/> needs a TURN server in <see cref="IceServers"/>.</summary>
    public IceTransportPolicy IceTransportPolicy { get; init; } = IceTransportPolicy.All;

    /// <summary>
    /// Which local addresses gather host candidates (and so which interfaces are used); null for every
    /// usable interface. Tests restrict it to <see cref="IPAddress.Loopback"/>.
    /// </summary>
    public Func<IPAddress, bool>? AddressFilter { get; init; }

    /// <summary>The DTLS certificate; null generates one per connection (≈0.5 ms). Share one to save that.</summary>
    public RtcCertificate? Certificate { get; init; }

    /// <summary>
    /// The largest message this side accepts, announced as <c>a=max-message-size</c> (RFC 8841 §6).
    /// The peer's own announcement limits what this side may send.
    /// </summary>
    public int MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    /// <summary>The SCTP port announced as <c>a=sctp-port</c> (RFC 8841 §5); 5000 like browsers.</summary>
    public int SctpPort { get; init; } = 5000;

    /// <summary>
    /// ICE settings (timeouts, consent freshness, socket buffers, mDNS). The connection fills in the role,
    /// credentials, address filter, STUN servers and logging.
    /// </summary>
    /// <remarks>
    /// mDNS (<see cref="IceAgentOptions.Mdns"/>): by default a peer's <c>&lt;uuid&gt;.local</c> host candidates (what
    /// browsers signal without camera or microphone permission) are resolved with one-shot multicast DNS queries on
    /// the local link. <c>Ice = new IceAgentOptions { Mdns = new MdnsOptions { Mode = MdnsMode.ResolveAndPublish } }</c>
    /// also hides this side's host addresses behind random <c>.local</c> names, as browsers do;
    /// <see cref="Mdns.MdnsMode.Disabled"/> ignores host names altogether.
    /// </remarks>
    public IceAgentOptions Ice { get; init; } = new();

    /// <summary>DTLS settings (handshake timeout, retransmission).</summary>
    public DtlsTransportOptions Dtls { get; init; } = DtlsTransportOptions.Default;

    /// <summary>Logging for every layer; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// The clock of every layer's timers: ICE (checks, consent, timeouts), DTLS (handshake timeout and
    /// retransmission waits) and SCTP (all of its timers). Null
    /// keeps each layer's own: <see cref="IceAgentOptions.TimeProvider"/>,
    /// <see cref="DtlsTransportOptions.TimeProvider"/>, and the system clock for SCTP. A fake clock
    /// (e.g. <c>FakeTimeProvider</c>) makes timer-driven behaviour testable in virtual time.
    /// </summary>
    public TimeProvider? TimeProvider { get; init; }
}
