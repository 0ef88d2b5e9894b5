namespace P2p.WebRtc.Sctp;

/// <summary>
/// Tunables of an <see cref="SctpAssociation"/>. Defaults follow RFC 9260 §16 and RFC 8831 §6
/// except where noted (a smaller RTO.Min and a larger receive window, for throughput on fast paths).
/// </summary>
public sealed record SctpOptions
{
    /// <summary>Local SCTP port (RFC 8261 §5: the local SDP's a=sctp-port, default 5000).</summary>
    public ushort LocalPort { get; init; } = 5000;

    /// <summary>Remote SCTP port (the remote SDP's a=sctp-port, default 5000).</summary>
    public ushort RemotePort { get; init; } = 5000;

    /// <summary>
    /// Largest SCTP packet this endpoint sends, in bytes (the DTLS transport's payload limit; 1200 by
    /// default, RFC 8261 §5 keeps packets below the path MTU). At least 256.
    /// </summary>
    public int MaxPacketSize { get; init; } = 1200;

    /// <summary>
    /// The receive window, in bytes: advertised as a_rwnd and the limit of out-of-order data held for
    /// reassembly (RFC 9260 §6.2). Large windows are needed for throughput; default 4 MiB.
    /// </summary>
    public int ReceiveWindow { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Largest message <see cref="SctpAssociation.Send"/> accepts: the remote's a=max-message-size
    /// (RFC 8841 §6; default 262144 as browsers advertise). Use 0 for "no limit" (RFC 8841: the peer
    /// can receive any size).
    /// </summary>
    public int MaxMessageSize { get; init; } = 262144;

    /// <summary>
    /// Largest message accepted from the peer (the a=max-message-size this endpoint advertises,
    /// default 262144). A larger incoming message aborts the association (RFC 8831 §6.6).
    /// </summary>
    public int MaxReceiveMessageSize { get; init; } = 262144;

    /// <summary>
    /// Limit on the bytes queued for sending on all streams together; <see cref="SctpAssociation.Send"/>
    /// returns <see cref="SctpSendStatus.ErrorResourceExhaustion"/> beyond it. Default 64 MiB.
    /// </summary>
    public long MaxSendBufferSize { get; init; } = 64L * 1024 * 1024;

    /// <summary>Outbound streams requested in INIT (RFC 8831 §6.2: 65535 for data channels).</summary>
    public ushort OutboundStreams { get; init; } = ushort.MaxValue;

    /// <summary>Maximum inbound streams accepted (65535).</summary>
    public ushort InboundStreams { get; init; } = ushort.MaxValue;

    /// <summary>RTO.Initial (RFC 9260 §16: 1 s).</summary>
    public TimeSpan RtoInitial { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>RTO.Min. RFC 9260 §16 says 1 s; WebRTC stacks use less, and so does this one: 200 ms.</summary>
    public TimeSpan RtoMin { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>RTO.Max (RFC 9260 §16: 60 s).</summary>
    public TimeSpan RtoMax { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Association.Max.Retrans (RFC 9260 §16: 10): consecutive timeouts before the association fails.</summary>
    public int MaxRetransmissions { get; init; } = 10;

    /// <summary>Max.Init.Retransmits (RFC 9260 §16: 8): INIT and COOKIE ECHO retransmissions before set-up fails.</summary>
    public int MaxInitRetransmissions { get; init; } = 8;

    /// <summary>Valid.Cookie.Life (RFC 9260 §16: 60 s).</summary>
    public TimeSpan CookieLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest delay of a delayed SACK (RFC 9260 §6.2: at most 500 ms; default 200 ms).</summary>
    public TimeSpan DelayedAckTimeout { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A SACK is sent at least for every this many packets carrying DATA (RFC 9260 §6.2: 2). Packets
    /// that reveal a gap, fill one, or carry duplicates are acknowledged at once regardless.
    /// </summary>
    public int AckEveryPackets { get; init; } = 2;

    /// <summary>HB.interval (RFC 9260 §16: 30 s); <see cref="TimeSpan.Zero"/> disables heartbeats.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When the peer resets an incoming stream, reset the outgoing stream of the same id too, which
    /// is how RFC 8831 §6.7 closes a data channel in both directions. Default true.
    /// </summary>
    public bool ResetOutgoingOnIncomingReset { get; init; } = true;

    /// <summary>Test hook: the initial TSN to use instead of a random one (e.g. near the 2^32 wrap).</summary>
    internal uint? InitialTsn { get; init; }

    internal void Validate()
    {
        if (MaxPacketSize < 256 || MaxPacketSize > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPacketSize), MaxPacketSize, "Must be 256..65535.");
        }

        if (ReceiveWindow < 1500)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveWindow), ReceiveWindow, "Must be at least 1500 (RFC 9260 §3.3.2).");
        }

        if (MaxMessageSize < 0 || MaxReceiveMessageSize < 1 || MaxSendBufferSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), "Message and buffer limits must be positive.");
        }

        if (OutboundStreams == 0 || InboundStreams == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(OutboundStreams), "Stream counts must be at least 1.");
        }

        if (RtoMin <= TimeSpan.Zero || RtoMax < RtoMin || RtoInitial < RtoMin || RtoInitial > RtoMax)
        {
            throw new ArgumentOutOfRangeException(nameof(RtoInitial), "Need 0 < RtoMin <= RtoInitial <= RtoMax.");
        }

        if (MaxRetransmissions < 1 || MaxInitRetransmissions < 1 || AckEveryPackets < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetransmissions), "Retransmission limits and AckEveryPackets must be at least 1.");
        }

        if (DelayedAckTimeout < TimeSpan.Zero || HeartbeatInterval < TimeSpan.Zero || CookieLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DelayedAckTimeout), "Timer values must not be negative.");
        }
    }
}
