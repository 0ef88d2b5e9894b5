using P2p.WebRtc.Sctp.Chunks;

namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>
/// Supported Extensions parameter (RFC 5061 §4.2.7, type 0x8008): the list of extension chunk types
/// the sender supports, one byte each. WebRTC (RFC 8831 §6.2) announces RE-CONFIG (130) and
/// FORWARD-TSN (192).
/// </summary>
internal static class SupportedExtensionsParameter
{
    /// <summary>True when <paramref name="value"/> lists <paramref name="type"/>.</summary>
    public static bool Lists(ReadOnlySpan<byte> value, ChunkType type) => value.Contains((byte)type);

    /// <summary>Writes the parameter; returns its padded size.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> chunkTypes)
        => ParameterWriter.Write(destination, (ushort)ParameterType.SupportedExtensions, chunkTypes);
}
