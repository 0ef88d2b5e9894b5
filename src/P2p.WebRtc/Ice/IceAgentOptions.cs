using System.Net;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Mdns;
using P2p.WebRtc.Net;
using P2p.WebRtc.Turn;

namespace P2p.WebRtc.Ice;

/// <summary>
/// Settings of an <see cref="IceAgent"/>. The defaults follow RFC 8445 §14 and RFC 7675; tests shorten
/// the timers. No STUN server is configured by default (and none is ever contacted unless listed).
/// </summary>
public sealed record IceAgentOptions
{
    /// <summary>The local username fragment; random (8 ice-chars) when <see langword="null"/>. Must be 4–256 ice-chars.</summary>
    public string? LocalUfrag { get; init; }

    /// <summary>The local password; random (24 ice-chars) when <see langword="null"/>. Must be 22–256 ice-chars.</summary>
    public string? LocalPassword { get; init; }

    /// <summary>The initial role (RFC 8445 §6.1.1); it may change through role-conflict resolution.</summary>
    public IceRole Role { get; init; } = IceRole.Controlling;

    /// <summary>The 64-bit tie-breaker (RFC 8445 §7.1.3); random when <see langword="null"/>.</summary>
    public ulong? TieBreaker { get; init; }

    /// <summary>
    /// Which local addresses get a host candidate. When <see langword="null"/>: every address of every
    /// interface that is up, IPv4 and IPv6, except link-local ones and loopback — loopback only when
    /// there is nothing else (e.g. inside a loopback-only network namespace). When set, the filter sees
    /// every address of every up interface (loopback and link-local included) and decides alone.
    /// </summary>
    public Func<IPAddress, bool>? AddressFilter { get; init; }

    /// <summary>STUN servers for server-reflexive candidates (RFC 8445 §5.1.1.2). Empty by default.</summary>
    public IReadOnlyList<IPEndPoint> StunServers { get; init; } = [];

    /// <summary>
    /// TURN servers for relayed candidates (RFC 8656; RFC 8445 §5.1.1.2): one allocation per server, made while
    /// gathering. Empty by default.
    /// </summary>
    public IReadOnlyList<TurnServer> TurnServers { get; init; } = [];

    /// <summary>
    /// mDNS host names (draft-ietf-mmusic-mdns-ice-candidates): by default remote <c>&lt;name&gt;.local</c> host
    /// candidates (what browsers signal) are resolved with one-shot multicast queries;
    /// <see cref="MdnsMode.ResolveAndPublish"/> also hides this agent's host addresses behind random
    /// <c>&lt;uuid&gt;.local</c> names that its own responder answers. The agent's <see cref="LoggerFactory"/> and
    /// <see cref="TimeProvider"/> are used, not the ones of these options.
    /// </summary>
    public MdnsOptions Mdns { get; init; } = new();

    /// <summary>Which candidates are gathered and used: <see cref="IceTransportPolicy.Relay"/> uses relayed candidates only.</summary>
    public IceTransportPolicy TransportPolicy { get; init; } = IceTransportPolicy.All;

    /// <summary>How long gathering waits for a TURN allocation (authentication round trip included) before giving up on that server: 10 s.</summary>
    public TimeSpan TurnAllocationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where TURN-over-TCP/TLS connections come from; <see langword="null"/> for this host's TCP stack (<see cref="SystemTcpConnector"/>).</summary>
    public ITcpConnector? TcpConnector { get; init; }

    /// <summary>
    /// Validates the certificate of a <c>turns:</c> server; <see langword="null"/> for the system's validation
    /// against the URL's host name (the right choice in production). Tests with a self-signed server pass their own.
    /// </summary>
    public RemoteCertificateValidationCallback? TurnCertificateValidation { get; init; }

    /// <summary>Ta, the pacing interval between new connectivity checks (RFC 8445 §14.2): 50 ms.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The initial retransmission timeout of a check or STUN request (RFC 8445 §14.3: at least 500 ms); it doubles per retransmission.</summary>
    public TimeSpan InitialRto { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The cap on the doubled retransmission timeout: 3 s.</summary>
    public TimeSpan MaxRto { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How often a check is sent before the pair fails (RFC 8489 Rc): 7 (≈15.5 s with the default timers).</summary>
    public int MaxCheckTransmissions { get; init; } = 7;

    /// <summary>How long the controlling agent waits for a better pair than the best valid one before nominating it: 500 ms.</summary>
    public TimeSpan NominationTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long gathering waits for each STUN server's answer before giving up on it: 5 s.</summary>
    public TimeSpan StunServerTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The mean interval of consent-freshness checks on the selected pair (RFC 7675 §5.1: 5 s, randomized ±20 %).</summary>
    public TimeSpan ConsentInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>No consent response for this long reports <see cref="IceConnectionState.Disconnected"/>: 8 s.</summary>
    public TimeSpan ConsentDisconnectedTimeout { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>No consent response for this long expires consent (RFC 7675 §5.1: 30 s): the agent stops sending and reports <see cref="IceConnectionState.Failed"/>.</summary>
    public TimeSpan ConsentFailureTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the agent waits, once the peer signalled end-of-candidates and gathering is complete,
    /// while it has no candidate pair at all, before it reports <see cref="IceConnectionState.Failed"/>:
    /// 10 s. A check from the peer can still create a peer-reflexive pair meanwhile, and with trickle
    /// over independent signaling messages an end-of-candidates may overtake the last candidates.
    /// </summary>
    public TimeSpan EmptyCheckListTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>SO_RCVBUF and SO_SNDBUF of every socket: 4 MiB (default buffers lose 23–42 % of a loopback burst). Used by the default <see cref="SocketFactory"/> only.</summary>
    public int SocketBufferSize { get; init; } = UdpDatagramSocketFactory.DefaultBufferSize;

    /// <summary>
    /// Where the agent finds its local addresses and binds its sockets. <see langword="null"/> (the default):
    /// the machine's UDP stack (<see cref="UdpDatagramSocketFactory"/> with <see cref="SocketBufferSize"/>).
    /// A virtual network's factory runs the agent through simulated links and NATs.
    /// </summary>
    public IDatagramSocketFactory? SocketFactory { get; init; }

    /// <summary>
    /// The largest datagram the transport sends: 1452 bytes by default, an Ethernet MTU (1500) minus the
    /// IPv6 (40) and UDP (8) headers, so no datagram is fragmented on a standard path.
    /// </summary>
    public int MaxDatagramSize { get; init; } = 1452;

    /// <summary>The check list's size limit (RFC 8445 §6.1.2.5: 100).</summary>
    public int MaxCandidatePairs { get; init; } = 100;

    /// <summary>Where the agent logs; nothing when <see langword="null"/>.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The clock and timers (a fake one makes timer-driven behaviour testable).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Where the consent-check interval's randomization (RFC 7675 §5.1) comes from; <see cref="System.Random.Shared"/>
    /// when <see langword="null"/>. A seeded one (with fixed <see cref="LocalUfrag"/>, <see cref="LocalPassword"/> and
    /// <see cref="TieBreaker"/>) makes a run on a virtual network reproducible. Nothing security-relevant comes from
    /// it: STUN transaction ids, credentials and tie-breakers come from a cryptographic generator. It is used under
    /// the agent's lock only, so one instance per agent needs no synchronization.
    /// </summary>
    public Random? Random { get; init; }

    internal void Validate()
    {
        if (LocalUfrag is not null && !IceCredentials.IsValidUfrag(LocalUfrag))
        {
            throw new ArgumentException("The local ufrag must be 4–256 ice-chars (RFC 8839 §5.4).", nameof(LocalUfrag));
        }

        if (LocalPassword is not null && !IceCredentials.IsValidPassword(LocalPassword))
        {
            throw new ArgumentException("The local password must be 22–256 ice-chars (RFC 8839 §5.4).", nameof(LocalPassword));
        }

        Positive(CheckInterval, nameof(CheckInterval));
        Positive(InitialRto, nameof(InitialRto));
        Positive(MaxRto, nameof(MaxRto));
        Positive(ConsentInterval, nameof(ConsentInterval));
        Positive(ConsentDisconnectedTimeout, nameof(ConsentDisconnectedTimeout));
        Positive(ConsentFailureTimeout, nameof(ConsentFailureTimeout));
        Positive(EmptyCheckListTimeout, nameof(EmptyCheckListTimeout));
        Positive(StunServerTimeout, nameof(StunServerTimeout));
        Positive(TurnAllocationTimeout, nameof(TurnAllocationTimeout));
        if (NominationTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(NominationTimeout));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCheckTransmissions, 1, nameof(MaxCheckTransmissions));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDatagramSize, 1, nameof(MaxDatagramSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxDatagramSize, 65507, nameof(MaxDatagramSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCandidatePairs, 1, nameof(MaxCandidatePairs));
        ArgumentOutOfRangeException.ThrowIfLessThan(SocketBufferSize, 4096, nameof(SocketBufferSize));
        ArgumentNullException.ThrowIfNull(StunServers, nameof(StunServers));
        ArgumentNullException.ThrowIfNull(TurnServers, nameof(TurnServers));
        if (TransportPolicy == IceTransportPolicy.Relay && TurnServers.Count == 0)
        {
            throw new ArgumentException("IceTransportPolicy.Relay needs at least one TURN server: without one there is no candidate at all.", nameof(TurnServers));
        }
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(Mdns, nameof(Mdns));
        Mdns.Validate();
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
        }
    }
}
