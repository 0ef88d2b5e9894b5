namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>
/// Unrecognized Parameter (RFC 9260 §3.3.3, type 8, in INIT ACK): carries, unchanged, an INIT
/// parameter whose type this endpoint does not know and whose upper bits asked for a report.
/// </summary>
internal static class UnrecognizedParameter
{
    /// <summary>Writes the parameter wrapping <paramref name="unrecognized"/> (a whole TLV); returns its padded size.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> unrecognized)
        => ParameterWriter.Write(destination, (ushort)ParameterType.UnrecognizedParameter, unrecognized);
}
