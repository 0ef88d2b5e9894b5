using System.Buffers.Binary;

namespace P2p.Fuzzing.Support;

/// <summary>
/// Splits one fuzz input into several messages for targets that keep state between messages: each message is a
/// 2-byte big-endian length and that many bytes (the last one takes what is left when the length runs past the end).
/// </summary>
internal ref struct FuzzInput(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _rest = data;

    /// <summary>The next message; false at the end of the input.</summary>
    public bool TryNext(out ReadOnlySpan<byte> message)
    {
        if (_rest.Length < 2)
        {
            message = default;
            return false;
        }

        var length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(_rest), _rest.Length - 2);
        message = _rest.Slice(2, length);
        _rest = _rest[(2 + length)..];
        return true;
    }

    /// <summary>Joins messages into the input format (for seeds).</summary>
    public static byte[] Join(IEnumerable<byte[]> messages)
    {
        using var stream = new MemoryStream();
        Span<byte> prefix = stackalloc byte[2];
        foreach (var m in messages)
        {
            BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)m.Length);
            stream.Write(prefix);
            stream.Write(m);
        }

        return stream.ToArray();
    }
}
