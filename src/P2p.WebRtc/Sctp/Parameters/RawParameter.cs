namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>One Type-Length-Value parameter (RFC 9260 §3.2.1), without its trailing padding.</summary>
internal readonly ref struct RawParameter
{
    /// <summary>Size of the parameter header (type, length).</summary>
    public const int HeaderSize = 4;

    public RawParameter(ushort type, ReadOnlySpan<byte> whole)
    {
        TypeValue = type;
        Whole = whole;
    }

    /// <summary>The parameter type as a number (unknown types included).</summary>
    public ushort TypeValue { get; }

    /// <summary>The parameter type.</summary>
    public ParameterType Type => (ParameterType)TypeValue;

    /// <summary>The whole parameter: header and value, without padding.</summary>
    public ReadOnlySpan<byte> Whole { get; }

    /// <summary>The parameter value.</summary>
    public ReadOnlySpan<byte> Value => Whole[HeaderSize..];
}
