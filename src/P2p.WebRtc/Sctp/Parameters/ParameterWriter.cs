using System.Buffers.Binary;
using P2p.WebRtc.Sctp.Chunks;

namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>Encodes TLV parameters and error causes (RFC 9260 §3.2.1): type, length (unpadded), value, zero padding.</summary>
internal static class ParameterWriter
{
    /// <summary>The padded size of a parameter with a value of <paramref name="valueLength"/> bytes.</summary>
    public static int SizeOf(int valueLength) => ChunkWriter.Pad4(RawParameter.HeaderSize + valueLength);

    /// <summary>Writes a parameter; returns its padded size.</summary>
    public static int Write(Span<byte> destination, ushort type, ReadOnlySpan<byte> value)
    {
        var length = RawParameter.HeaderSize + value.Length;
        if (length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "A parameter is at most 65535 bytes long.");
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
        value.CopyTo(destination[RawParameter.HeaderSize..]);
        var padded = ChunkWriter.Pad4(length);
        destination[length..padded].Clear();
        return padded;
    }

    /// <summary>Writes a parameter whose value is <paramref name="valueLength"/> bytes already placed after the header.</summary>
    public static int WriteHeader(Span<byte> destination, ushort type, int valueLength)
    {
        var length = RawParameter.HeaderSize + valueLength;
        BinaryPrimitives.WriteUInt16BigEndian(destination, type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
        var padded = ChunkWriter.Pad4(length);
        destination[length..padded].Clear();
        return padded;
    }
}
