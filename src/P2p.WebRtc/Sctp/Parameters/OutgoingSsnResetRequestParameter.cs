using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>
/// Outgoing SSN Reset Request parameter (RFC 6525 §4.1, type 13): the sender resets the listed
/// outgoing streams (all streams when the list is empty) after the TSN "Sender's Last Assigned TSN".
/// </summary>
internal readonly ref struct OutgoingSsnResetRequestParameter
{
    private const int FixedValueSize = 12;
    private readonly ReadOnlySpan<byte> _streams;

    private OutgoingSsnResetRequestParameter(uint requestSequenceNumber, uint responseSequenceNumber, uint sendersLastAssignedTsn, ReadOnlySpan<byte> streams)
    {
        RequestSequenceNumber = requestSequenceNumber;
        ResponseSequenceNumber = responseSequenceNumber;
        SendersLastAssignedTsn = sendersLastAssignedTsn;
        _streams = streams;
    }

    public uint RequestSequenceNumber { get; }

    public uint ResponseSequenceNumber { get; }

    public uint SendersLastAssignedTsn { get; }

    public int StreamCount => _streams.Length / 2;

    public ushort GetStream(int index) => BinaryPrimitives.ReadUInt16BigEndian(_streams[(index * 2)..]);

    /// <summary>The listed streams as a new array (empty: all streams).</summary>
    public ushort[] GetStreams()
    {
        var result = new ushort[StreamCount];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = GetStream(i);
        }

        return result;
    }

    public static bool TryParse(RawParameter parameter, out OutgoingSsnResetRequestParameter request)
    {
        request = default;
        var v = parameter.Value;
        if (parameter.Type != ParameterType.OutgoingSsnResetRequest || v.Length < FixedValueSize || (v.Length - FixedValueSize) % 2 != 0)
        {
            return false;
        }

        request = new OutgoingSsnResetRequestParameter(
            BinaryPrimitives.ReadUInt32BigEndian(v),
            BinaryPrimitives.ReadUInt32BigEndian(v[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(v[8..]),
            v[FixedValueSize..]);
        return true;
    }

    public static int SizeOf(int streams) => ParameterWriter.SizeOf(FixedValueSize + (2 * streams));

    public static int Write(Span<byte> destination, uint requestSequenceNumber, uint responseSequenceNumber, uint sendersLastAssignedTsn, ReadOnlySpan<ushort> streams)
    {
        var v = destination[RawParameter.HeaderSize..];
        BinaryPrimitives.WriteUInt32BigEndian(v, requestSequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(v[4..], responseSequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(v[8..], sendersLastAssignedTsn);
        for (var i = 0; i < streams.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(v[(FixedValueSize + (2 * i))..], streams[i]);
        }

        return ParameterWriter.WriteHeader(destination, (ushort)ParameterType.OutgoingSsnResetRequest, FixedValueSize + (2 * streams.Length));
    }
}
