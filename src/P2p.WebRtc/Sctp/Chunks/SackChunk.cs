using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>One Gap Ack Block (RFC 9260 §3.3.4): offsets from the Cumulative TSN Ack, both inclusive.</summary>
internal readonly record struct GapAckBlock(ushort Start, ushort End);

/// <summary>
/// SACK chunk (RFC 9260 §3.3.4): cumulative TSN ack, a_rwnd, gap ack blocks (start/end offsets
/// relative to the cumulative TSN ack) and duplicate TSNs received since the last SACK.
/// </summary>
internal readonly ref struct SackChunk
{
    /// <summary>Size of the fixed part including the chunk header.</summary>
    public const int FixedSize = 16;

    private readonly ReadOnlySpan<byte> _blocks;
    private readonly ReadOnlySpan<byte> _duplicates;

    private SackChunk(uint cumulativeTsnAck, uint aRwnd, ReadOnlySpan<byte> blocks, ReadOnlySpan<byte> duplicates)
    {
        CumulativeTsnAck = cumulativeTsnAck;
        ARwnd = aRwnd;
        _blocks = blocks;
        _duplicates = duplicates;
    }

    public uint CumulativeTsnAck { get; }

    public uint ARwnd { get; }

    public int GapAckBlockCount => _blocks.Length / 4;

    public int DuplicateTsnCount => _duplicates.Length / 4;

    public GapAckBlock GetGapAckBlock(int index)
        => new(BinaryPrimitives.ReadUInt16BigEndian(_blocks[(index * 4)..]), BinaryPrimitives.ReadUInt16BigEndian(_blocks[((index * 4) + 2)..]));

    public uint GetDuplicateTsn(int index) => BinaryPrimitives.ReadUInt32BigEndian(_duplicates[(index * 4)..]);

    /// <summary>A SACK view with only a cumulative ack (what a SHUTDOWN chunk acknowledges, RFC 9260 §9.2).</summary>
    public static SackChunk CumulativeOnly(uint cumulativeTsnAck, uint aRwnd) => new(cumulativeTsnAck, aRwnd, [], []);

    /// <summary>Parses a SACK; false when the counts do not fit the chunk.</summary>
    public static bool TryParse(RawChunk chunk, out SackChunk sack)
    {
        sack = default;
        var v = chunk.Value;
        if (chunk.Type != ChunkType.Sack || v.Length < FixedSize - RawChunk.HeaderSize)
        {
            return false;
        }

        int gaps = BinaryPrimitives.ReadUInt16BigEndian(v[8..]);
        int dups = BinaryPrimitives.ReadUInt16BigEndian(v[10..]);
        var needed = 12 + (4 * gaps) + (4 * dups);
        if (v.Length < needed)
        {
            return false;
        }

        sack = new SackChunk(
            BinaryPrimitives.ReadUInt32BigEndian(v),
            BinaryPrimitives.ReadUInt32BigEndian(v[4..]),
            v.Slice(12, 4 * gaps),
            v.Slice(12 + (4 * gaps), 4 * dups));
        return true;
    }

    /// <summary>The encoded size of a SACK with the given numbers of blocks and duplicates.</summary>
    public static int SizeOf(int gapBlocks, int duplicates) => FixedSize + (4 * gapBlocks) + (4 * duplicates);

    /// <summary>Writes a SACK; returns its size (always a multiple of four).</summary>
    public static int Write(Span<byte> destination, uint cumulativeTsnAck, uint aRwnd, ReadOnlySpan<GapAckBlock> gapBlocks, ReadOnlySpan<uint> duplicates)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], cumulativeTsnAck);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], aRwnd);
        BinaryPrimitives.WriteUInt16BigEndian(destination[12..], (ushort)gapBlocks.Length);
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], (ushort)duplicates.Length);
        var offset = FixedSize;
        foreach (var block in gapBlocks)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], block.Start);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(offset + 2)..], block.End);
            offset += 4;
        }

        foreach (var tsn in duplicates)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[offset..], tsn);
            offset += 4;
        }

        return ChunkWriter.Header(destination, ChunkType.Sack, 0, offset);
    }
}
