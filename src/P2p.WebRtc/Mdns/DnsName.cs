using System.Text;

namespace P2p.WebRtc.Mdns;

/// <summary>
/// Domain names on the wire (RFC 1035 §3.1, §4.1.4): length-prefixed labels, read with message compression
/// (pointers), written without it. Reading is strictly bounded: a pointer must point before the run of labels
/// it is in (so a crafted message cannot loop), at most <see cref="MaxPointers"/> pointers are followed, and the
/// decoded name is at most 255 bytes on the wire. Labels are UTF-8 (RFC 6762 §16); names compare case-insensitively.
/// </summary>
internal static class DnsName
{
    /// <summary>The largest name on the wire, final zero byte included (RFC 1035 §3.1).</summary>
    public const int MaxWireLength = 255;

    /// <summary>The largest label (RFC 1035 §2.3.4).</summary>
    public const int MaxLabelLength = 63;

    /// <summary>The most compression pointers followed in one name.</summary>
    public const int MaxPointers = 32;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Case-insensitive comparison of names (ASCII case folding, RFC 6762 §16).</summary>
    public static StringComparer Comparer => StringComparer.OrdinalIgnoreCase;

    /// <summary>
    /// Reads the name at <paramref name="offset"/> of <paramref name="message"/> and moves the offset past it
    /// (past the first pointer when the name is compressed). False on any malformation; never throws.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> message, ref int offset, out string name)
    {
        name = string.Empty;
        Span<byte> text = stackalloc byte[MaxWireLength];
        var textLength = 0;
        var wireLength = 1; // the final zero byte
        var pos = offset;
        var runStart = offset;
        var end = -1;
        var pointers = 0;
        while (true)
        {
            if ((uint)pos >= (uint)message.Length)
            {
                return false;
            }

            var b = message[pos];
            if (b == 0)
            {
                if (end < 0)
                {
                    end = pos + 1;
                }

                break;
            }

            switch (b & 0xC0)
            {
                case 0xC0:
                    if (pos + 1 >= message.Length)
                    {
                        return false;
                    }

                    var target = ((b & 0x3F) << 8) | message[pos + 1];
                    if (end < 0)
                    {
                        end = pos + 2;
                    }

                    // Strictly backwards, before the labels read since the last jump: positions only decrease.
                    if (target >= runStart || ++pointers > MaxPointers)
                    {
                        return false;
                    }

                    pos = target;
                    runStart = target;
                    continue;
                case 0x00:
                    break;
                default:
                    return false; // extended label types (RFC 6891 §5) are not used by mDNS
            }

            var length = b;
            if (pos + 1 + length > message.Length)
            {
                return false;
            }

            wireLength += length + 1;
            if (wireLength > MaxWireLength)
            {
                return false;
            }

            var label = message.Slice(pos + 1, length);
            if (label.Contains((byte)'.'))
            {
                return false; // a dot inside a label would make the text form ambiguous
            }

            if (textLength > 0)
            {
                text[textLength++] = (byte)'.';
            }

            label.CopyTo(text[textLength..]);
            textLength += length;
            pos += 1 + length;
        }

        try
        {
            name = StrictUtf8.GetString(text[..textLength]);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        offset = end;
        return true;
    }

    /// <summary>The name's size on the wire, or -1 when it is not a valid name (an empty label, a label over 63 bytes, over 255 in all).</summary>
    public static int WireLength(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.EndsWith('.') ? name[..^1] : name;
        if (trimmed.Length == 0)
        {
            return 1; // the root
        }

        var total = 1;
        foreach (var label in trimmed.Split('.'))
        {
            var n = Encoding.UTF8.GetByteCount(label);
            if (n is 0 or > MaxLabelLength)
            {
                return -1;
            }

            total += n + 1;
        }

        return total <= MaxWireLength ? total : -1;
    }

    /// <summary>Whether <paramref name="name"/> can be written (see <see cref="WireLength"/>).</summary>
    public static bool IsValid(string name) => WireLength(name) > 0;

    /// <summary>Writes <paramref name="name"/> uncompressed; returns the bytes written.</summary>
    /// <exception cref="ArgumentException">The name is not valid.</exception>
    public static int Write(Span<byte> destination, string name)
    {
        var length = WireLength(name);
        if (length < 0)
        {
            throw new ArgumentException($"\"{name}\" is not a valid DNS name.", nameof(name));
        }

        var trimmed = name.EndsWith('.') ? name[..^1] : name;
        var pos = 0;
        if (trimmed.Length > 0)
        {
            foreach (var label in trimmed.Split('.'))
            {
                var n = Encoding.UTF8.GetBytes(label, destination[(pos + 1)..]);
                destination[pos] = (byte)n;
                pos += n + 1;
            }
        }

        destination[pos++] = 0;
        return pos;
    }
}
