using System.Buffers.Binary;

namespace P2p.WebRtc.Mdns;

/// <summary>The fixed 12-byte header of a DNS message (RFC 1035 §4.1.1), as mDNS uses it (RFC 6762 §18).</summary>
/// <param name="Id">The query identifier: zero in multicast messages, echoed in unicast replies to one-shot queries (RFC 6762 §18.1, §6.7).</param>
/// <param name="Flags">The flag bits (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE).</param>
/// <param name="QuestionCount">QDCOUNT.</param>
/// <param name="AnswerCount">ANCOUNT.</param>
/// <param name="AuthorityCount">NSCOUNT.</param>
/// <param name="AdditionalCount">ARCOUNT.</param>
internal readonly record struct DnsHeader(ushort Id, ushort Flags, ushort QuestionCount, ushort AnswerCount, ushort AuthorityCount, ushort AdditionalCount)
{
    /// <summary>The header's size in bytes.</summary>
    public const int Size = 12;

    /// <summary>QR set, AA set: the flags of an mDNS response (RFC 6762 §18.2, §18.4).</summary>
    public const ushort ResponseFlags = 0x8400;

    /// <summary>Whether the message is a response (QR bit).</summary>
    public bool IsResponse => (Flags & 0x8000) != 0;

    /// <summary>The opcode; mDNS uses only 0, standard query (RFC 6762 §18.3).</summary>
    public int Opcode => (Flags >> 11) & 0xF;

    /// <summary>The response code; mDNS messages with a non-zero code are silently ignored (RFC 6762 §18.11).</summary>
    public int ResponseCode => Flags & 0xF;

    /// <summary>Whether the message was truncated (TC bit; in a query: more known answers follow, RFC 6762 §18.5).</summary>
    public bool Truncated => (Flags & 0x0200) != 0;

    /// <summary>Reads a header; false when fewer than 12 bytes are given.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out DnsHeader header)
    {
        if (data.Length < Size)
        {
            header = default;
            return false;
        }

        header = new DnsHeader(
            BinaryPrimitives.ReadUInt16BigEndian(data),
            BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(data[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(data[6..]),
            BinaryPrimitives.ReadUInt16BigEndian(data[8..]),
            BinaryPrimitives.ReadUInt16BigEndian(data[10..]));
        return true;
    }

    /// <summary>Writes the header into the first 12 bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, Id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Flags);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], QuestionCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], AnswerCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], AuthorityCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], AdditionalCount);
    }
}
