using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>Result codes of a Re-configuration Response (RFC 6525 §4.4).</summary>
internal enum ReconfigurationResult : uint
{
    SuccessNothingToDo = 0,
    SuccessPerformed = 1,
    Denied = 2,
    ErrorWrongSsn = 3,
    ErrorRequestAlreadyInProgress = 4,
    ErrorBadSequenceNumber = 5,
    InProgress = 6,
}

/// <summary>
/// Re-configuration Response parameter (RFC 6525 §4.4, type 16): the response sequence number (the
/// request it answers), a result, and optionally the sender's and receiver's next TSN (only for
/// SSN/TSN reset requests, which this stack does not perform).
/// </summary>
internal readonly record struct ReconfigurationResponseParameter(uint ResponseSequenceNumber, ReconfigurationResult Result)
{
    /// <summary>Encoded size without the optional TSN fields.</summary>
    public const int Size = 12;

    public static bool TryParse(RawParameter parameter, out ReconfigurationResponseParameter response)
    {
        response = default;
        var v = parameter.Value;
        if (parameter.Type != ParameterType.ReconfigurationResponse || v.Length < 8)
        {
            return false;
        }

        response = new ReconfigurationResponseParameter(
            BinaryPrimitives.ReadUInt32BigEndian(v),
            (ReconfigurationResult)BinaryPrimitives.ReadUInt32BigEndian(v[4..]));
        return true;
    }

    public int Write(Span<byte> destination)
    {
        var v = destination[RawParameter.HeaderSize..];
        BinaryPrimitives.WriteUInt32BigEndian(v, ResponseSequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(v[4..], (uint)Result);
        return ParameterWriter.WriteHeader(destination, (ushort)ParameterType.ReconfigurationResponse, 8);
    }
}
