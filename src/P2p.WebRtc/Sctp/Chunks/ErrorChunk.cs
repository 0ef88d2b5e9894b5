namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>ERROR chunk (RFC 9260 §3.3.10): reports error conditions (a list of causes) without closing the association.</summary>
internal static class ErrorChunk
{
    /// <summary>The error causes of an ERROR chunk.</summary>
    public static ReadOnlySpan<byte> Causes(RawChunk chunk) => chunk.Value;

    /// <summary>Writes an ERROR chunk with pre-encoded causes; returns its padded size.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> causes)
        => ChunkWriter.Simple(destination, ChunkType.Error, 0, causes);
}
