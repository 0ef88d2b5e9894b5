using System.Buffers.Binary;
using System.IO.Hashing;

namespace P2p.WebRtc.Sctp.Packets;

/// <summary>
/// The CRC32c checksum of an SCTP packet (RFC 9260 §6.8 and Appendix B), computed with the
/// vectorised System.IO.Hashing implementation (SSE4.2/ARM CRC instructions where present). The
/// checksum covers the whole packet with the checksum field set to zero; the reflected CRC value is
/// carried least significant byte first, which is the byte order Appendix B's sample code produces.
/// </summary>
internal static class Crc32c
{
    private const int ChecksumOffset = 8;

    /// <summary>Computes the checksum of <paramref name="packet"/> and writes it into bytes 8..11.</summary>
    public static void Stamp(Span<byte> packet)
    {
        packet.Slice(ChecksumOffset, 4).Clear();
        var crc = Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, packet);
        BinaryPrimitives.WriteUInt32LittleEndian(packet[ChecksumOffset..], crc);
    }

    /// <summary>
    /// True when the packet's checksum field matches its contents. Does not modify the packet: the
    /// CRC is accumulated over the header, four zero bytes and the chunks.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> packet, Crc32 scratch)
    {
        if (packet.Length < SctpCommonHeader.Size)
        {
            return false;
        }

        scratch.Reset();
        scratch.Append(packet[..ChecksumOffset]);
        scratch.Append([0, 0, 0, 0]);
        scratch.Append(packet[(ChecksumOffset + 4)..]);
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(packet[ChecksumOffset..]);
        return scratch.GetCurrentHashAsUInt32() == expected;
    }

    /// <summary>Creates the incremental hasher that <see cref="Verify"/> reuses (one per receiver).</summary>
    public static Crc32 CreateScratch() => new(Crc32ParameterSet.Crc32C);
}
