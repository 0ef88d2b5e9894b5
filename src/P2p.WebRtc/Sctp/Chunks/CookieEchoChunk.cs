namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>COOKIE ECHO chunk (RFC 9260 §3.3.11): the State Cookie from the INIT ACK, returned unchanged.</summary>
internal static class CookieEchoChunk
{
    /// <summary>The echoed cookie.</summary>
    public static ReadOnlySpan<byte> Cookie(RawChunk chunk) => chunk.Value;

    public static int Write(Span<byte> destination, ReadOnlySpan<byte> cookie)
        => ChunkWriter.Simple(destination, ChunkType.CookieEcho, 0, cookie);
}
