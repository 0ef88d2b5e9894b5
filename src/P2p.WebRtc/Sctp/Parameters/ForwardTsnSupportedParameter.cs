namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>
/// Forward-TSN-Supported parameter (RFC 3758 §3.1, type 0xC000, no value): in INIT/INIT ACK it says
/// the sender implements PR-SCTP and understands FORWARD TSN chunks.
/// </summary>
internal static class ForwardTsnSupportedParameter
{
    /// <summary>Encoded size.</summary>
    public const int Size = 4;

    /// <summary>Writes the parameter; returns its size.</summary>
    public static int Write(Span<byte> destination)
        => ParameterWriter.Write(destination, (ushort)ParameterType.ForwardTsnSupported, []);
}
