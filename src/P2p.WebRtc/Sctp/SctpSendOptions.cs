namespace P2p.WebRtc.Sctp;

/// <summary>
/// How one message is sent: ordered or not, and its reliability (RFC 8831 §6.1, PR-SCTP RFC 3758).
/// At most one of <see cref="MaxRetransmits"/> and <see cref="MaxLifetime"/> is meant to be set, as
/// for a data channel; when both are, the message is abandoned at whichever limit comes first.
/// </summary>
public readonly record struct SctpSendOptions
{
    /// <summary>Sends the message unordered (the U bit): delivered as soon as it is complete.</summary>
    public bool Unordered { get; init; }

    /// <summary>
    /// Partial reliability by retransmissions (RFC 3758 "limited retransmission"): the message is
    /// abandoned once a fragment would be retransmitted more than this many times; 0 = sent once.
    /// Null: fully reliable.
    /// </summary>
    public int? MaxRetransmits { get; init; }

    /// <summary>
    /// Partial reliability by time (RFC 3758 "timed reliability"): the message is abandoned when it
    /// has not been delivered within this time of being sent. Null: fully reliable.
    /// </summary>
    public TimeSpan? MaxLifetime { get; init; }

    /// <summary>Reliable, ordered.</summary>
    public static SctpSendOptions Default => default;

    /// <summary>True when the message may be abandoned.</summary>
    public bool IsPartiallyReliable => MaxRetransmits.HasValue || MaxLifetime.HasValue;
}
