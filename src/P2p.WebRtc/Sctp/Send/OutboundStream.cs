namespace P2p.WebRtc.Sctp.Send;

/// <summary>
/// One outgoing stream: its queue of messages, next stream sequence number (RFC 9260 §6.5), buffered
/// amount and low threshold (RFC 8831 §6.6 bufferedAmount semantics), and its reset state (RFC 6525
/// §5.1.2: messages queued before a reset request go first; later ones wait for the reset).
/// </summary>
internal sealed class OutboundStream(ushort id)
{
    public ushort Id { get; } = id;

    public Queue<OutboundMessage> Messages { get; } = new();

    public ushort NextSsn { get; set; }

    /// <summary>Bytes queued and not yet sent.</summary>
    public long BufferedAmount { get; set; }

    public long LowThreshold { get; set; }

    /// <summary>True while in the scheduler's round-robin list.</summary>
    public bool Scheduled { get; set; }

    /// <summary>True from ResetStreams until the peer answers the reset request.</summary>
    public bool ResetPending { get; set; }

    /// <summary>Messages that were queued before the reset was requested and still go out before it.</summary>
    public int MessagesBeforeReset { get; set; }

    /// <summary>True when a pending reset holds back the stream's remaining messages.</summary>
    public bool Paused => ResetPending && MessagesBeforeReset == 0;
}
