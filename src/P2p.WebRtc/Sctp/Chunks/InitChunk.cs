using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>
/// INIT chunk (RFC 9260 §3.3.2): initiate tag, advertised receiver window credit (a_rwnd), number
/// of outbound streams, number of inbound streams, initial TSN, then optional parameters (here:
/// Supported Extensions, RFC 5061 §4.2.7, and Forward-TSN-Supported, RFC 3758 §3.1).
/// </summary>
internal readonly ref struct InitChunk
{
    /// <summary>Size of the fixed part including the chunk header.</summary>
    public const int FixedSize = 20;

    public InitChunk(uint initiateTag, uint aRwnd, ushort outboundStreams, ushort inboundStreams, uint initialTsn, ReadOnlySpan<byte> parameters)
    {
        InitiateTag = initiateTag;
        ARwnd = aRwnd;
        OutboundStreams = outboundStreams;
        InboundStreams = inboundStreams;
        InitialTsn = initialTsn;
        Parameters = parameters;
    }

    public uint InitiateTag { get; }

    public uint ARwnd { get; }

    public ushort OutboundStreams { get; }

    public ushort InboundStreams { get; }

    public uint InitialTsn { get; }

    /// <summary>The encoded optional/variable-length parameters (RFC 9260 §3.2.1).</summary>
    public ReadOnlySpan<byte> Parameters { get; }

    /// <summary>Parses an INIT chunk (use <see cref="InitAckChunk"/> for INIT ACK).</summary>
    public static bool TryParse(RawChunk chunk, out InitChunk init)
    {
        init = default;
        if (chunk.Type != ChunkType.Init)
        {
            return false;
        }

        return TryParseFields(chunk.Value, out init);
    }

    /// <summary>Writes an INIT chunk with pre-encoded parameters; returns its padded size.</summary>
    public static int Write(Span<byte> destination, uint initiateTag, uint aRwnd, ushort outboundStreams, ushort inboundStreams, uint initialTsn, ReadOnlySpan<byte> parameters)
        => WriteFields(destination, ChunkType.Init, initiateTag, aRwnd, outboundStreams, inboundStreams, initialTsn, parameters);

    internal static bool TryParseFields(ReadOnlySpan<byte> v, out InitChunk init)
    {
        if (v.Length < FixedSize - RawChunk.HeaderSize)
        {
            init = default;
            return false;
        }

        init = new InitChunk(
            BinaryPrimitives.ReadUInt32BigEndian(v),
            BinaryPrimitives.ReadUInt32BigEndian(v[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(v[8..]),
            BinaryPrimitives.ReadUInt16BigEndian(v[10..]),
            BinaryPrimitives.ReadUInt32BigEndian(v[12..]),
            v[16..]);
        return true;
    }

    internal static int WriteFields(Span<byte> d, ChunkType type, uint initiateTag, uint aRwnd, ushort outboundStreams, ushort inboundStreams, uint initialTsn, ReadOnlySpan<byte> parameters)
    {
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], initiateTag);
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], aRwnd);
        BinaryPrimitives.WriteUInt16BigEndian(d[12..], outboundStreams);
        BinaryPrimitives.WriteUInt16BigEndian(d[14..], inboundStreams);
        BinaryPrimitives.WriteUInt32BigEndian(d[16..], initialTsn);
        parameters.CopyTo(d[FixedSize..]);
        return ChunkWriter.Header(d, type, 0, FixedSize + parameters.Length);
    }
}
