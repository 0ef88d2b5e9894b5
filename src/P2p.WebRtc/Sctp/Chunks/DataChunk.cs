using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>
/// DATA chunk (RFC 9260 §3.3.1): flags I (RFC 7053 SACK-IMMEDIATELY), U (unordered), B (first
/// fragment), E (last fragment); TSN, stream identifier, stream sequence number, payload protocol
/// identifier and at least one byte of user data.
/// </summary>
internal readonly ref struct DataChunk
{
    /// <summary>Bytes before the user data: chunk header (4) + TSN, stream, SSN, PPID (12).</summary>
    public const int HeaderSize = 16;

    /// <summary>E bit: the last fragment of a user message.</summary>
    public const byte FlagEnd = 0x01;

    /// <summary>B bit: the first fragment of a user message.</summary>
    public const byte FlagBeginning = 0x02;

    /// <summary>U bit: an unordered message (the SSN is ignored).</summary>
    public const byte FlagUnordered = 0x04;

    /// <summary>I bit (RFC 7053 §3): the receiver should acknowledge without delay.</summary>
    public const byte FlagImmediate = 0x08;

    public DataChunk(byte flags, uint tsn, ushort streamId, ushort ssn, uint ppid, ReadOnlySpan<byte> userData)
    {
        Flags = flags;
        Tsn = tsn;
        StreamId = streamId;
        Ssn = ssn;
        Ppid = ppid;
        UserData = userData;
    }

    public byte Flags { get; }

    public uint Tsn { get; }

    public ushort StreamId { get; }

    public ushort Ssn { get; }

    public uint Ppid { get; }

    public ReadOnlySpan<byte> UserData { get; }

    public bool Unordered => (Flags & FlagUnordered) != 0;

    public bool Beginning => (Flags & FlagBeginning) != 0;

    public bool End => (Flags & FlagEnd) != 0;

    public bool Immediate => (Flags & FlagImmediate) != 0;

    /// <summary>Parses a DATA chunk; false when the value is shorter than the fixed fields.</summary>
    /// <remarks>An empty payload parses (the caller answers it with a "No User Data" ABORT, RFC 9260 §3.3.1).</remarks>
    public static bool TryParse(RawChunk chunk, out DataChunk data)
    {
        var v = chunk.Value;
        if (chunk.Type != ChunkType.Data || v.Length < HeaderSize - RawChunk.HeaderSize)
        {
            data = default;
            return false;
        }

        data = new DataChunk(
            chunk.Flags,
            BinaryPrimitives.ReadUInt32BigEndian(v),
            BinaryPrimitives.ReadUInt16BigEndian(v[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(v[6..]),
            BinaryPrimitives.ReadUInt32BigEndian(v[8..]),
            v[12..]);
        return true;
    }

    /// <summary>Writes a DATA chunk; returns its padded size.</summary>
    public static int Write(Span<byte> destination, byte flags, uint tsn, ushort streamId, ushort ssn, uint ppid, ReadOnlySpan<byte> userData)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], tsn);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], streamId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], ssn);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], ppid);
        userData.CopyTo(destination[HeaderSize..]);
        return ChunkWriter.Header(destination, ChunkType.Data, flags, HeaderSize + userData.Length);
    }
}
