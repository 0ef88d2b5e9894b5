using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>SHUTDOWN chunk (RFC 9260 §3.3.8): starts a graceful close and carries the cumulative TSN ack.</summary>
internal static class ShutdownChunk
{
    /// <summary>Encoded size.</summary>
    public const int Size = 8;

    public static bool TryParse(RawChunk chunk, out uint cumulativeTsnAck)
    {
        cumulativeTsnAck = 0;
        if (chunk.Type != ChunkType.Shutdown || chunk.Value.Length < 4)
        {
            return false;
        }

        cumulativeTsnAck = BinaryPrimitives.ReadUInt32BigEndian(chunk.Value);
        return true;
    }

    public static int Write(Span<byte> destination, uint cumulativeTsnAck)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], cumulativeTsnAck);
        return ChunkWriter.Header(destination, ChunkType.Shutdown, 0, Size);
    }
}
