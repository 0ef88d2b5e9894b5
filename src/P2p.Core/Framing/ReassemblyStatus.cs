namespace P2p.Core.Framing;

/// <summary>What <see cref="MessageReassembler.Add"/> made of a frame.</summary>
public enum ReassemblyStatus
{
    /// <summary>A fragment was stored; the message is not complete yet.</summary>
    Incomplete,

    /// <summary>The message is complete.</summary>
    Complete,

    /// <summary>The frame is not a valid frame (bad header, inconsistent fragments): it was dropped.</summary>
    Malformed,

    /// <summary>The message exceeds the size limit: it is dropped, and its later fragments too.</summary>
    TooLarge,

    /// <summary>Too many messages are partially received at once: the frame was dropped.</summary>
    TooManyPartialMessages,
}
