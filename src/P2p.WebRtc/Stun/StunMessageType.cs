namespace P2p.WebRtc.Stun;

/// <summary>
/// Packs and unpacks the 14-bit message type (RFC 8489 §5): method bits M0–M11 interleaved with
/// class bits C0 (bit 4) and C1 (bit 8).
/// </summary>
public static class StunMessageType
{
    /// <summary>Combines a method and a class.</summary>
    /// <param name="method">The method (12 bits).</param>
    /// <param name="messageClass">The class.</param>
    /// <returns>The message type field.</returns>
    public static ushort Encode(StunMethod method, StunMessageClass messageClass)
    {
        var m = (int)method;
        var c = (int)messageClass;
        return (ushort)((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
    }

    /// <summary>The method bits of a message type.</summary>
    /// <param name="messageType">The message type field.</param>
    /// <returns>The method number.</returns>
    public static ushort GetMethod(ushort messageType) =>
        (ushort)((messageType & 0x000F) | ((messageType & 0x00E0) >> 1) | ((messageType & 0x3E00) >> 2));

    /// <summary>The class of a message type.</summary>
    /// <param name="messageType">The message type field.</param>
    /// <returns>The class.</returns>
    public static StunMessageClass GetClass(ushort messageType) =>
        (StunMessageClass)(((messageType >> 4) & 1) | ((messageType >> 7) & 2));
}
