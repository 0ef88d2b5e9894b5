namespace P2p.Core.Framing;

/// <summary>The kind of a group message frame (low nibble of byte 0; see docs/protocol.md).</summary>
public enum FrameKind : byte
{
    /// <summary>A message to every member.</summary>
    Broadcast = 1,

    /// <summary>A unicast request; the receiver answers with a <see cref="Reply"/> or <see cref="Error"/> of the same id.</summary>
    Request = 2,

    /// <summary>The answer to a request.</summary>
    Reply = 3,

    /// <summary>A request failed at the receiver; the payload is an error code and a UTF-8 message.</summary>
    Error = 4,

    /// <summary>
    /// The sender's identity proof (docs/protocol.md, "Identity (extension)"): sent first on a channel, one fragment,
    /// message id 0. Receivers that do not know it drop it.
    /// </summary>
    Identity = 5,

    /// <summary>
    /// A frame of the relayed-members extension (docs/protocol.md, "Relayed members (extension)"), with its own layout after
    /// byte 0. Receivers that do not know it drop it.
    /// </summary>
    Route = 6,
}
