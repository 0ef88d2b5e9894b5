namespace P2p.WebRtc.Sctp;

/// <summary>Kinds of <see cref="SctpEvent"/>.</summary>
public enum SctpEventType
{
    /// <summary>The association is established (COOKIE ECHO/ACK exchanged).</summary>
    Connected,

    /// <summary>A complete user message arrived: <see cref="SctpEvent.Message"/>.</summary>
    MessageReceived,

    /// <summary>The peer reset incoming streams (its outgoing ones): <see cref="SctpEvent.Streams"/>; an empty list means all streams.</summary>
    IncomingStreamsReset,

    /// <summary>An outgoing stream reset this endpoint requested completed: <see cref="SctpEvent.Streams"/>; the ids may be reused.</summary>
    OutgoingStreamsReset,

    /// <summary>The peer refused an outgoing stream reset: <see cref="SctpEvent.Streams"/>.</summary>
    StreamsResetFailed,

    /// <summary>A stream's buffered amount fell to or below its low threshold: <see cref="SctpEvent.StreamId"/>.</summary>
    BufferedAmountLow,

    /// <summary>The total buffered amount fell to or below the total low threshold.</summary>
    TotalBufferedAmountLow,

    /// <summary>The peer sent an ERROR chunk: <see cref="SctpEvent.ErrorCause"/> and <see cref="SctpEvent.Text"/>.</summary>
    PeerError,

    /// <summary>The association closed: <see cref="SctpEvent.CloseInfo"/>. No further events follow.</summary>
    Closed,
}

/// <summary>Something an <see cref="SctpAssociation"/> reports to its driver.</summary>
public readonly record struct SctpEvent
{
    /// <summary>The kind of event.</summary>
    public SctpEventType Type { get; init; }

    /// <summary>The message, for <see cref="SctpEventType.MessageReceived"/>.</summary>
    public SctpMessage Message { get; init; }

    /// <summary>The stream, for <see cref="SctpEventType.BufferedAmountLow"/>.</summary>
    public ushort StreamId { get; init; }

    /// <summary>The streams, for the stream reset events.</summary>
    public IReadOnlyList<ushort>? Streams { get; init; }

    /// <summary>The close details, for <see cref="SctpEventType.Closed"/>.</summary>
    public SctpCloseInfo? CloseInfo { get; init; }

    /// <summary>The first error cause, for <see cref="SctpEventType.PeerError"/>.</summary>
    public SctpErrorCauseCode ErrorCause { get; init; }

    /// <summary>A description, for <see cref="SctpEventType.PeerError"/>.</summary>
    public string? Text { get; init; }

    /// <summary>
    /// For <see cref="SctpEventType.MessageReceived"/>: the pooled array (<see cref="MessageBufferPool"/>) under the
    /// message's payload. Whoever takes the event owns it; a driver that is done with the bytes may return it.
    /// </summary>
    internal byte[]? Rented { get; init; }
}
