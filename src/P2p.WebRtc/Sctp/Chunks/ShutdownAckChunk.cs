namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>SHUTDOWN ACK chunk (RFC 9260 §3.3.9): acknowledges a SHUTDOWN once all data is acknowledged. No value.</summary>
internal static class ShutdownAckChunk
{
    /// <summary>Encoded size.</summary>
    public const int Size = 4;

    public static int Write(Span<byte> destination) => ChunkWriter.Header(destination, ChunkType.ShutdownAck, 0, Size);
}
