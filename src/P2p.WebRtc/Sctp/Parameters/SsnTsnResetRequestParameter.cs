using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>
/// SSN/TSN Reset Request parameter (RFC 6525 §4.3, type 15): asks to reset all streams and the TSN.
/// Not used by WebRTC; this stack answers it with "Denied".
/// </summary>
internal static class SsnTsnResetRequestParameter
{
    public static bool TryParse(RawParameter parameter, out uint requestSequenceNumber)
    {
        requestSequenceNumber = 0;
        if (parameter.Type != ParameterType.SsnTsnResetRequest || parameter.Value.Length < 4)
        {
            return false;
        }

        requestSequenceNumber = BinaryPrimitives.ReadUInt32BigEndian(parameter.Value);
        return true;
    }

    public static int Write(Span<byte> destination, uint requestSequenceNumber)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination[RawParameter.HeaderSize..], requestSequenceNumber);
        return ParameterWriter.WriteHeader(destination, (ushort)ParameterType.SsnTsnResetRequest, 4);
    }
}
