using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>
/// Incoming SSN Reset Request parameter (RFC 6525 §4.2, type 14): asks the peer to reset its
/// outgoing streams. WebRTC does not use it (RFC 8831 §6.7 closes with outgoing resets); this stack
/// answers it with "Denied".
/// </summary>
internal readonly ref struct IncomingSsnResetRequestParameter
{
    private IncomingSsnResetRequestParameter(uint requestSequenceNumber, int streamCount)
    {
        RequestSequenceNumber = requestSequenceNumber;
        StreamCount = streamCount;
    }

    public uint RequestSequenceNumber { get; }

    public int StreamCount { get; }

    public static bool TryParse(RawParameter parameter, out IncomingSsnResetRequestParameter request)
    {
        request = default;
        var v = parameter.Value;
        if (parameter.Type != ParameterType.IncomingSsnResetRequest || v.Length < 4 || (v.Length - 4) % 2 != 0)
        {
            return false;
        }

        request = new IncomingSsnResetRequestParameter(BinaryPrimitives.ReadUInt32BigEndian(v), (v.Length - 4) / 2);
        return true;
    }

    public static int Write(Span<byte> destination, uint requestSequenceNumber, ReadOnlySpan<ushort> streams)
    {
        var v = destination[RawParameter.HeaderSize..];
        BinaryPrimitives.WriteUInt32BigEndian(v, requestSequenceNumber);
        for (var i = 0; i < streams.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(v[(4 + (2 * i))..], streams[i]);
        }

        return ParameterWriter.WriteHeader(destination, (ushort)ParameterType.IncomingSsnResetRequest, 4 + (2 * streams.Length));
    }
}
