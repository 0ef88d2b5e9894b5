using System.Buffers.Binary;
using System.Text;

namespace P2p.WebRtc.DataChannels;

/// <summary>
/// DATA_CHANNEL_OPEN (RFC 8832 §5.1): sent on the stream of a new channel, on PPID 50, by the side
/// that opens it.
/// <code>
///  0      |  Message Type |  Channel Type |            Priority           |
///  4      |                    Reliability Parameter                      |
///  8      |         Label Length          |       Protocol Length         |
///  12     |  Label (UTF-8) ...            |  Protocol (UTF-8) ...         |
/// </code>
/// </summary>
/// <param name="ChannelType">Ordering and reliability.</param>
/// <param name="Priority">Priority (RFC 8831 §6.4: 128 below normal, 256 normal, 512 high, 1024 extra high).</param>
/// <param name="ReliabilityParameter">Retransmissions for *Rexmit* types, lifetime in ms for *Timed* types, 0 otherwise.</param>
/// <param name="Label">The channel's label.</param>
/// <param name="Protocol">The sub-protocol name (may be empty).</param>
public sealed record DataChannelOpenMessage(
    DataChannelType ChannelType,
    ushort Priority,
    uint ReliabilityParameter,
    string Label,
    string Protocol)
{
    /// <summary>Length of the fixed part before the label.</summary>
    public const int HeaderLength = 12;

    /// <summary>The number of bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => HeaderLength + Encoding.UTF8.GetByteCount(Label) + Encoding.UTF8.GetByteCount(Protocol);

    /// <summary>True for the unordered channel types (bit 0x80).</summary>
    public bool Unordered => ((byte)ChannelType & 0x80) != 0;

    /// <summary>Writes the message into <paramref name="destination"/> and returns the bytes written.</summary>
    /// <exception cref="ArgumentException">The destination is too small, or the label or protocol exceeds 65535 bytes.</exception>
    public int Write(Span<byte> destination)
    {
        var labelLength = Encoding.UTF8.GetByteCount(Label);
        var protocolLength = Encoding.UTF8.GetByteCount(Protocol);
        if (labelLength > ushort.MaxValue || protocolLength > ushort.MaxValue)
        {
            throw new ArgumentException("A data channel label or protocol is limited to 65535 bytes of UTF-8.");
        }

        var length = HeaderLength + labelLength + protocolLength;
        if (destination.Length < length)
        {
            throw new ArgumentException($"DATA_CHANNEL_OPEN needs {length} bytes.", nameof(destination));
        }

        destination[0] = (byte)DcepMessageType.Open;
        destination[1] = (byte)ChannelType;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Priority);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ReliabilityParameter);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], (ushort)labelLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], (ushort)protocolLength);
        Encoding.UTF8.GetBytes(Label, destination[HeaderLength..]);
        Encoding.UTF8.GetBytes(Protocol, destination[(HeaderLength + labelLength)..]);
        return length;
    }

    /// <summary>
    /// Parses a DATA_CHANNEL_OPEN. Returns false (never throws) when the message is truncated, has
    /// another type, an unknown channel type, lengths that exceed the message, or invalid UTF-8.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out DataChannelOpenMessage? open)
    {
        open = null;
        if (message.Length < HeaderLength || message[0] != (byte)DcepMessageType.Open)
        {
            return false;
        }

        var type = (DataChannelType)message[1];
        if (!Enum.IsDefined(type))
        {
            return false;
        }

        var labelLength = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        var protocolLength = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        if (message.Length < HeaderLength + labelLength + protocolLength)
        {
            return false;
        }

        try
        {
            var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            var label = strict.GetString(message.Slice(HeaderLength, labelLength));
            var protocol = strict.GetString(message.Slice(HeaderLength + labelLength, protocolLength));
            open = new DataChannelOpenMessage(
                type,
                BinaryPrimitives.ReadUInt16BigEndian(message[2..]),
                BinaryPrimitives.ReadUInt32BigEndian(message[4..]),
                label,
                protocol);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
