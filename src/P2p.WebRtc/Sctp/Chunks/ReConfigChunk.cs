using P2p.WebRtc.Sctp.Parameters;

namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>
/// RE-CONFIG chunk (RFC 6525 §3.1, type 130): one or two re-configuration parameters (requests and/or
/// responses). The value is walked with <see cref="ParameterIterator"/>.
/// </summary>
internal static class ReConfigChunk
{
    /// <summary>The parameters of a RE-CONFIG chunk.</summary>
    public static ParameterIterator Parameters(RawChunk chunk) => new(chunk.Value);

    /// <summary>Writes a RE-CONFIG chunk around pre-encoded parameters; returns its padded size.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> parameters)
        => ChunkWriter.Simple(destination, ChunkType.ReConfig, 0, parameters);
}
