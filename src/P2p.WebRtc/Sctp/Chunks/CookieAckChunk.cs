namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>COOKIE ACK chunk (RFC 9260 §3.3.12): acknowledges a COOKIE ECHO; the association is established. No value.</summary>
internal static class CookieAckChunk
{
    /// <summary>Encoded size.</summary>
    public const int Size = 4;

    public static int Write(Span<byte> destination) => ChunkWriter.Header(destination, ChunkType.CookieAck, 0, Size);
}
