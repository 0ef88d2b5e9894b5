namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>
/// ABORT chunk (RFC 9260 §3.3.7): closes the association at once. Flag T: the verification tag is
/// the sender's own (reflected) rather than the receiver's. The value is a list of error causes.
/// </summary>
internal static class AbortChunk
{
    /// <summary>The T bit.</summary>
    public const byte FlagT = 0x01;

    /// <summary>The error causes of an ABORT.</summary>
    public static ReadOnlySpan<byte> Causes(RawChunk chunk) => chunk.Value;

    /// <summary>Writes an ABORT with pre-encoded causes; returns its padded size.</summary>
    public static int Write(Span<byte> destination, bool tagReflected, ReadOnlySpan<byte> causes)
        => ChunkWriter.Simple(destination, ChunkType.Abort, tagReflected ? FlagT : (byte)0, causes);
}
