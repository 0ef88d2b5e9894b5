using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>One (stream, stream sequence number) entry of a FORWARD TSN (RFC 3758 §3.2).</summary>
internal readonly record struct ForwardTsnStream(ushort StreamId, ushort Ssn);

/// <summary>
/// FORWARD TSN chunk (RFC 3758 §3.2, type 192): tells the receiver to move its cumulative TSN to
/// New Cumulative TSN, skipping abandoned chunks, and for each listed ordered stream the last stream
/// sequence number skipped.
/// </summary>
internal readonly ref struct ForwardTsnChunk
{
    private readonly ReadOnlySpan<byte> _streams;

    private ForwardTsnChunk(uint newCumulativeTsn, ReadOnlySpan<byte> streams)
    {
        NewCumulativeTsn = newCumulativeTsn;
        _streams = streams;
    }

    public uint NewCumulativeTsn { get; }

    public int StreamCount => _streams.Length / 4;

    public ForwardTsnStream GetStream(int index)
        => new(BinaryPrimitives.ReadUInt16BigEndian(_streams[(index * 4)..]), BinaryPrimitives.ReadUInt16BigEndian(_streams[((index * 4) + 2)..]));

    public static bool TryParse(RawChunk chunk, out ForwardTsnChunk forwardTsn)
    {
        forwardTsn = default;
        var v = chunk.Value;
        if (chunk.Type != ChunkType.ForwardTsn || v.Length < 4 || (v.Length - 4) % 4 != 0)
        {
            return false;
        }

        forwardTsn = new ForwardTsnChunk(BinaryPrimitives.ReadUInt32BigEndian(v), v[4..]);
        return true;
    }

    public static int SizeOf(int streams) => 8 + (4 * streams);

    public static int Write(Span<byte> destination, uint newCumulativeTsn, ReadOnlySpan<ForwardTsnStream> streams)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], newCumulativeTsn);
        var offset = 8;
        foreach (var s in streams)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], s.StreamId);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(offset + 2)..], s.Ssn);
            offset += 4;
        }

        return ChunkWriter.Header(destination, ChunkType.ForwardTsn, 0, offset);
    }
}
