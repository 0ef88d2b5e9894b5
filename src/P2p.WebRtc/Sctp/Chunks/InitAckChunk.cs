namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>
/// INIT ACK chunk (RFC 9260 §3.3.3): the same fixed fields as INIT, and parameters that must include
/// the State Cookie (RFC 9260 §3.3.3.1); also Supported Extensions and Forward-TSN-Supported, and
/// Unrecognized Parameter reports for INIT parameters whose type asked for one.
/// </summary>
internal readonly ref struct InitAckChunk
{
    public InitAckChunk(InitChunk fields) => Fields = fields;

    /// <summary>The fixed fields and parameters (same layout as INIT).</summary>
    public InitChunk Fields { get; }

    /// <summary>Parses an INIT ACK chunk.</summary>
    public static bool TryParse(RawChunk chunk, out InitAckChunk initAck)
    {
        initAck = default;
        if (chunk.Type != ChunkType.InitAck || !InitChunk.TryParseFields(chunk.Value, out var fields))
        {
            return false;
        }

        initAck = new InitAckChunk(fields);
        return true;
    }

    /// <summary>Writes an INIT ACK chunk with pre-encoded parameters; returns its padded size.</summary>
    public static int Write(Span<byte> destination, uint initiateTag, uint aRwnd, ushort outboundStreams, ushort inboundStreams, uint initialTsn, ReadOnlySpan<byte> parameters)
        => InitChunk.WriteFields(destination, ChunkType.InitAck, initiateTag, aRwnd, outboundStreams, inboundStreams, initialTsn, parameters);
}
