using P2p.WebRtc.Sctp.Parameters;

namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>HEARTBEAT ACK chunk (RFC 9260 §3.3.6): the Heartbeat Info of the HEARTBEAT it answers, unchanged.</summary>
internal static class HeartbeatAckChunk
{
    /// <summary>Reads the echoed Heartbeat Info.</summary>
    public static bool TryParse(RawChunk chunk, out ReadOnlySpan<byte> info)
    {
        info = default;
        return chunk.Type == ChunkType.HeartbeatAck && HeartbeatInfoParameter.TryRead(chunk.Value, out info);
    }

    /// <summary>Writes a HEARTBEAT ACK echoing the HEARTBEAT's whole value (§8.3: unchanged); returns its padded size.</summary>
    public static int WriteEcho(Span<byte> destination, ReadOnlySpan<byte> heartbeatValue)
        => ChunkWriter.Simple(destination, ChunkType.HeartbeatAck, 0, heartbeatValue);
}
