namespace P2p.WebRtc.Stun;

/// <summary>One attribute of a parsed <see cref="StunMessage"/>: a view into the message's bytes (RFC 8489 §14).</summary>
public readonly ref struct StunAttribute
{
    internal StunAttribute(ushort type, ReadOnlySpan<byte> value, int offset)
    {
        RawType = type;
        Value = value;
        Offset = offset;
    }

    /// <summary>The attribute type as a number.</summary>
    public ushort RawType { get; }

    /// <summary>The attribute type.</summary>
    public StunAttributeType Type => (StunAttributeType)RawType;

    /// <summary>The value (without padding).</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>The offset of the attribute's header in the message.</summary>
    public int Offset { get; }

    /// <summary>True for types 0x0000–0x7FFF, which a receiver must understand (RFC 8489 §14).</summary>
    public bool IsComprehensionRequired => RawType < 0x8000;
}
