using System.Buffers.Binary;
using System.Text;

namespace P2p.Signaling.Server.Redis;

/// <summary>The kinds of <see cref="BackplaneMessage"/>.</summary>
internal enum BackplaneMessageKind : byte
{
    /// <summary>To a user's channel: forward a relay (<c>relay [group, from, data]</c>); answer to <see cref="BackplaneMessage.Instance"/> under <see cref="BackplaneMessage.Correlation"/> (0: no answer expected).</summary>
    Relay = 1,

    /// <summary>To a user's channel: deliver this notification frame (<see cref="BackplaneMessage.Payload"/>).</summary>
    Notify = 2,

    /// <summary>To a user's channel: end the user's connection without a close handshake (another instance resumes the session).</summary>
    Kick = 3,

    /// <summary>To an instance's channel: the answer (<see cref="BackplaneMessage.Payload"/>: a raw result or error value) of relay <see cref="BackplaneMessage.Correlation"/>.</summary>
    Answer = 10,

    /// <summary>To an instance's channel: relay <see cref="BackplaneMessage.Correlation"/> failed with <see cref="BackplaneMessage.Code"/> (<see cref="BackplaneMessage.Text"/>).</summary>
    Failure = 11,
}

/// <summary>
/// A message between instances over Redis pub/sub, in a small binary layout:
/// <c>kind (1) | correlation (8, BE) | code (4, BE) | flags (1) | instance | group | from | text (each: length (2, BE) + UTF-8) | payload (rest)</c>.
/// </summary>
internal readonly record struct BackplaneMessage(
    BackplaneMessageKind Kind,
    long Correlation = 0,
    int Code = 0,
    bool IsError = false,
    string Instance = "",
    string Group = "",
    string From = "",
    string Text = "",
    ReadOnlyMemory<byte> Payload = default)
{
    private const int FixedLength = 1 + 8 + 4 + 1;

    /// <summary>Encodes the message.</summary>
    public byte[] Encode()
    {
        var length = FixedLength + 8 + Encoding.UTF8.GetByteCount(Instance) + Encoding.UTF8.GetByteCount(Group)
            + Encoding.UTF8.GetByteCount(From) + Encoding.UTF8.GetByteCount(Text) + Payload.Length;
        var bytes = new byte[length];
        var span = bytes.AsSpan();
        span[0] = (byte)Kind;
        BinaryPrimitives.WriteInt64BigEndian(span[1..], Correlation);
        BinaryPrimitives.WriteInt32BigEndian(span[9..], Code);
        span[13] = IsError ? (byte)1 : (byte)0;
        var at = FixedLength;
        foreach (var text in (ReadOnlySpan<string>)[Instance, Group, From, Text])
        {
            var written = Encoding.UTF8.GetBytes(text, span[(at + 2)..]);
            BinaryPrimitives.WriteUInt16BigEndian(span[at..], checked((ushort)written));
            at += 2 + written;
        }

        Payload.Span.CopyTo(span[at..]);
        return bytes;
    }

    /// <summary>Decodes a message; false when it is malformed (another version of the server, or not ours).</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> bytes, out BackplaneMessage message)
    {
        message = default;
        var span = bytes.Span;
        if (span.Length < FixedLength + 8 || span[0] is not (1 or 2 or 3 or 10 or 11))
        {
            return false;
        }

        var at = FixedLength;
        Span<string> texts = ["", "", "", ""];
        for (var i = 0; i < texts.Length; i++)
        {
            if (span.Length < at + 2)
            {
                return false;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(span[at..]);
            if (span.Length < at + 2 + length)
            {
                return false;
            }

            texts[i] = Encoding.UTF8.GetString(span.Slice(at + 2, length));
            at += 2 + length;
        }

        message = new BackplaneMessage(
            (BackplaneMessageKind)span[0],
            BinaryPrimitives.ReadInt64BigEndian(span[1..]),
            BinaryPrimitives.ReadInt32BigEndian(span[9..]),
            span[13] == 1,
            texts[0], texts[1], texts[2], texts[3],
            bytes[at..]);
        return true;
    }
}
