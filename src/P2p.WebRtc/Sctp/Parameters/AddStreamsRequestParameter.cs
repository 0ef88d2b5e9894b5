using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>
/// Add Outgoing Streams (RFC 6525 §4.5, type 17) and Add Incoming Streams (§4.6, type 18) Request
/// parameters: request sequence number, number of new streams, reserved. This stack negotiates
/// 65535 streams each way at set-up and answers these requests with "Denied".
/// </summary>
internal static class AddStreamsRequestParameter
{
    public static bool TryParse(RawParameter parameter, out uint requestSequenceNumber, out ushort newStreams)
    {
        requestSequenceNumber = 0;
        newStreams = 0;
        if ((parameter.Type != ParameterType.AddOutgoingStreamsRequest && parameter.Type != ParameterType.AddIncomingStreamsRequest)
            || parameter.Value.Length < 8)
        {
            return false;
        }

        requestSequenceNumber = BinaryPrimitives.ReadUInt32BigEndian(parameter.Value);
        newStreams = BinaryPrimitives.ReadUInt16BigEndian(parameter.Value[4..]);
        return true;
    }

    public static int Write(Span<byte> destination, ParameterType type, uint requestSequenceNumber, ushort newStreams)
    {
        var v = destination[RawParameter.HeaderSize..];
        BinaryPrimitives.WriteUInt32BigEndian(v, requestSequenceNumber);
        BinaryPrimitives.WriteUInt16BigEndian(v[4..], newStreams);
        BinaryPrimitives.WriteUInt16BigEndian(v[6..], 0);
        return ParameterWriter.WriteHeader(destination, (ushort)type, 8);
    }
}
