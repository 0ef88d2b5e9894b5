using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>Helpers shared by the chunk and parameter encoders (RFC 9260 §3.2, §3.2.1: padding to 4 bytes).</summary>
internal static class ChunkWriter
{
    /// <summary>Rounds a length up to a multiple of four.</summary>
    public static int Pad4(int length) => (length + 3) & ~3;

    /// <summary>
    /// Writes a chunk header for a chunk of <paramref name="length"/> bytes (header included,
    /// padding excluded), zeroes the padding, and returns the padded size.
    /// </summary>
    public static int Header(Span<byte> destination, ChunkType type, byte flags, int length)
    {
        if (length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "A chunk is at most 65535 bytes long.");
        }

        destination[0] = (byte)type;
        destination[1] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
        var padded = Pad4(length);
        destination[length..padded].Clear();
        return padded;
    }

    /// <summary>Writes a chunk that is just a header and an opaque value; returns the padded size.</summary>
    public static int Simple(Span<byte> destination, ChunkType type, byte flags, ReadOnlySpan<byte> value)
    {
        var length = RawChunk.HeaderSize + value.Length;
        value.CopyTo(destination[RawChunk.HeaderSize..]);
        return Header(destination, type, flags, length);
    }
}
