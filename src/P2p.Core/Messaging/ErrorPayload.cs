using System.Buffers.Binary;
using System.Text;

namespace P2p.Core.Messaging;

/// <summary>
/// The payload of an <c>Error</c> frame (docs/protocol.md, "Error payload"): a 2-byte big-endian code
/// (<see cref="GroupErrorCode"/> 1..99) followed by a UTF-8 message of at most <see cref="MaxMessageBytes"/> bytes.
/// </summary>
internal static class ErrorPayload
{
    /// <summary>The longest message written, in bytes (longer ones are cut at a character boundary).</summary>
    public const int MaxMessageBytes = 1024;

    public static byte[] Encode(GroupErrorCode code, string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var length = bytes.Length;
        if (length > MaxMessageBytes)
        {
            length = MaxMessageBytes;
            while (length > 0 && (bytes[length] & 0xC0) == 0x80)
            {
                length--; // do not cut a multi-byte character
            }
        }

        var payload = new byte[2 + length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        bytes.AsSpan(0, length).CopyTo(payload.AsSpan(2));
        return payload;
    }

    /// <summary>Reads an error payload; a payload shorter than the code is reported as an unreadable error.</summary>
    public static (GroupErrorCode Code, string Message) Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2)
        {
            return (GroupErrorCode.HandlerFailed, "(an unreadable error reply)");
        }

        var code = (GroupErrorCode)BinaryPrimitives.ReadUInt16BigEndian(payload);
        var message = Encoding.UTF8.GetString(payload[2..]);
        return (code, message);
    }
}
