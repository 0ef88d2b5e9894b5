using P2p.WebRtc.Sctp.Parameters;

namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>HEARTBEAT chunk (RFC 9260 §3.3.5): one Heartbeat Info parameter the peer echoes back.</summary>
internal static class HeartbeatChunk
{
    /// <summary>Reads the Heartbeat Info; false when it is missing or malformed.</summary>
    public static bool TryParse(RawChunk chunk, out ReadOnlySpan<byte> info)
    {
        info = default;
        return chunk.Type == ChunkType.Heartbeat && HeartbeatInfoParameter.TryRead(chunk.Value, out info);
    }

    /// <summary>The padded size of a HEARTBEAT carrying <paramref name="infoLength"/> bytes of information.</summary>
    public static int SizeOf(int infoLength) => RawChunk.HeaderSize + ParameterWriter.SizeOf(infoLength);

    /// <summary>Writes a HEARTBEAT; returns its padded size.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> info)
    {
        var p = HeartbeatInfoParameter.Write(destination[RawChunk.HeaderSize..], info);
        return ChunkWriter.Header(destination, ChunkType.Heartbeat, 0, RawChunk.HeaderSize + p);
    }
}
