namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>
/// One chunk as found in a packet (RFC 9260 §3.2): the type, the flags, the value (the bytes after
/// the 4-byte chunk header, Chunk Length − 4 of them, without padding) and the whole unpadded chunk.
/// </summary>
internal readonly ref struct RawChunk
{
    /// <summary>Size of the chunk header (type, flags, length).</summary>
    public const int HeaderSize = 4;

    public RawChunk(byte type, byte flags, ReadOnlySpan<byte> whole)
    {
        TypeByte = type;
        Flags = flags;
        Whole = whole;
    }

    /// <summary>The chunk type as a byte (unknown types included).</summary>
    public byte TypeByte { get; }

    /// <summary>The chunk type.</summary>
    public ChunkType Type => (ChunkType)TypeByte;

    /// <summary>The chunk flags.</summary>
    public byte Flags { get; }

    /// <summary>The whole chunk: header and value, without trailing padding.</summary>
    public ReadOnlySpan<byte> Whole { get; }

    /// <summary>The chunk value (after the header).</summary>
    public ReadOnlySpan<byte> Value => Whole[HeaderSize..];
}
