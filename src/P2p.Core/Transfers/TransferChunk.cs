using System.Buffers.Binary;
using System.Text;

namespace P2p.Core.Transfers;

/// <summary>
/// One chunk of a stream transfer, carried as the payload of a unicast request (docs/concepts.md, "Large payloads"):
/// <code>
///  0  "P2PS" (4 bytes)      magic
///  4  version (1) = 1
///  5  flags: 0x01 first chunk (a header follows), 0x02 final chunk
///  6  transfer id (16 bytes, GUID)
///  22 offset (uint64 BE): where this chunk's bytes start in the stream
///  30 first chunk only: u16 BE name length + UTF-8 name, int64 BE total length (-1 when unknown)
///  .. the chunk's bytes
/// </code>
/// The receiver answers each chunk with an empty reply once it wrote it, or an error. Sans-I/O.
/// </summary>
internal static class TransferChunk
{
    /// <summary>The longest name in bytes.</summary>
    public const int MaxNameBytes = 1024;

    /// <summary>The largest header (first chunk with the longest name).</summary>
    public const int MaxHeaderSize = FixedSize + 2 + MaxNameBytes + 8;

    private const int FixedSize = 30;
    private const byte Version = 1;
    private const byte FirstFlag = 0x01;
    private const byte FinalFlag = 0x02;
    private static ReadOnlySpan<byte> Magic => "P2PS"u8;

    /// <summary>Writes a chunk's header into <paramref name="destination"/>; returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, Guid transferId, long offset, bool first, bool final, string name, long? totalLength)
    {
        Magic.CopyTo(destination);
        destination[4] = Version;
        destination[5] = (byte)((first ? FirstFlag : 0) | (final ? FinalFlag : 0));
        transferId.TryWriteBytes(destination[6..22], bigEndian: true, out _);
        BinaryPrimitives.WriteUInt64BigEndian(destination[22..], (ulong)offset);
        var at = FixedSize;
        if (first)
        {
            var length = Encoding.UTF8.GetBytes(name, destination[(at + 2)..]);
            BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)length);
            at += 2 + length;
            BinaryPrimitives.WriteInt64BigEndian(destination[at..], totalLength ?? -1);
            at += 8;
        }

        return at;
    }

    /// <summary>True when <paramref name="payload"/> starts like a chunk (so a receiver can pass other requests on).</summary>
    public static bool IsChunk(ReadOnlySpan<byte> payload) => payload.Length >= FixedSize && payload.StartsWith(Magic) && payload[4] == Version;

    /// <summary>Reads a chunk; false (with a description) for anything malformed.</summary>
    public static bool TryRead(
        ReadOnlyMemory<byte> payload, out Guid transferId, out long offset, out bool first, out bool final, out string name, out long? totalLength, out ReadOnlyMemory<byte> data, out string problem)
    {
        var span = payload.Span;
        (transferId, offset, first, final, name, totalLength, data) = (default, 0, false, false, "", null, default);
        if (!IsChunk(span) || (span[5] & ~(FirstFlag | FinalFlag)) != 0)
        {
            problem = "not a stream chunk (magic, version or flags)";
            return false;
        }

        first = (span[5] & FirstFlag) != 0;
        final = (span[5] & FinalFlag) != 0;
        transferId = new Guid(span[6..22], bigEndian: true);
        var rawOffset = BinaryPrimitives.ReadUInt64BigEndian(span[22..]);
        if (rawOffset > long.MaxValue)
        {
            problem = "offset out of range";
            return false;
        }

        offset = (long)rawOffset;
        var at = FixedSize;
        if (first)
        {
            if (span.Length < at + 2 || BinaryPrimitives.ReadUInt16BigEndian(span[at..]) is var nameLength && (nameLength > MaxNameBytes || span.Length < at + 2 + nameLength + 8))
            {
                problem = "a truncated or oversized first-chunk header";
                return false;
            }

            try
            {
                name = new UTF8Encoding(false, true).GetString(span.Slice(at + 2, nameLength));
            }
            catch (ArgumentException)
            {
                problem = "the name is not UTF-8";
                return false;
            }

            at += 2 + nameLength;
            var total = BinaryPrimitives.ReadInt64BigEndian(span[at..]);
            totalLength = total >= 0 ? total : null;
            at += 8;
        }

        data = payload[at..];
        problem = "";
        return true;
    }
}
