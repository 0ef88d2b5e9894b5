using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace P2p.WebRtc.Mdns;

/// <summary>
/// A parsed DNS message (RFC 1035 §4.1) as mDNS carries it (RFC 6762 §18): the header, the questions, and the
/// answer and additional records (authority records are checked and dropped). Parsing never throws and is
/// bounded: at most <see cref="MaxSize"/> bytes, at most <see cref="MaxEntries"/> questions and records, every
/// name read with <see cref="DnsName.TryRead"/>, every length checked against the end of the message.
/// </summary>
internal sealed class DnsMessage
{
    /// <summary>The largest message accepted: an mDNS packet is at most 9000 bytes (RFC 6762 §17).</summary>
    public const int MaxSize = 9000;

    /// <summary>The most questions and records (together) a message may declare.</summary>
    public const int MaxEntries = 256;

    private DnsMessage(DnsHeader header, DnsQuestion[] questions, DnsRecord[] answers, DnsRecord[] additionals)
    {
        Header = header;
        Questions = questions;
        Answers = answers;
        Additionals = additionals;
    }

    /// <summary>The header.</summary>
    public DnsHeader Header { get; }

    /// <summary>The question section.</summary>
    public IReadOnlyList<DnsQuestion> Questions { get; }

    /// <summary>The answer section.</summary>
    public IReadOnlyList<DnsRecord> Answers { get; }

    /// <summary>The additional section (responders may put the other address family's record there, RFC 6762 §6.2).</summary>
    public IReadOnlyList<DnsRecord> Additionals { get; }

    /// <summary>Parses a message; false (never an exception) when it is malformed or over the limits.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, [NotNullWhen(true)] out DnsMessage? message)
    {
        message = null;
        if (data.Length > MaxSize || !DnsHeader.TryRead(data, out var header))
        {
            return false;
        }

        var total = header.QuestionCount + header.AnswerCount + header.AuthorityCount + header.AdditionalCount;
        if (total > MaxEntries)
        {
            return false;
        }

        var offset = DnsHeader.Size;
        var questions = new DnsQuestion[header.QuestionCount];
        for (var i = 0; i < questions.Length; i++)
        {
            if (!DnsName.TryRead(data, ref offset, out var name) || offset + 4 > data.Length)
            {
                return false;
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            var cls = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            offset += 4;
            questions[i] = new DnsQuestion(name, (DnsRecordType)type, (ushort)(cls & ~DnsQuestion.TopBit), (cls & DnsQuestion.TopBit) != 0);
        }

        if (!TryReadRecords(data, ref offset, header.AnswerCount, out var answers)
            || !TryReadRecords(data, ref offset, header.AuthorityCount, out _)
            || !TryReadRecords(data, ref offset, header.AdditionalCount, out var additionals))
        {
            return false;
        }

        message = new DnsMessage(header, questions, answers, additionals);
        return true;
    }

    /// <summary>The addresses of the A and AAAA records for <paramref name="name"/> (Internet class) in the answer and additional sections; goodbye records (TTL 0, RFC 6762 §10.1) excluded.</summary>
    public IReadOnlyList<IPAddress> AddressesOf(string name)
    {
        List<IPAddress>? result = null;
        foreach (var r in Answers.Concat(Additionals))
        {
            if (r.Address is { } a && r.Ttl > 0 && r.Class == DnsQuestion.ClassIn && DnsName.Comparer.Equals(r.Name, name) && (result is null || !result.Contains(a)))
            {
                (result ??= []).Add(a);
            }
        }

        return result is null ? [] : result;
    }

    private static bool TryReadRecords(ReadOnlySpan<byte> data, ref int offset, int count, out DnsRecord[] records)
    {
        records = new DnsRecord[count];
        for (var i = 0; i < count; i++)
        {
            if (!DnsName.TryRead(data, ref offset, out var name) || offset + 10 > data.Length)
            {
                return false;
            }

            var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            var cls = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(data[(offset + 4)..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 8)..]);
            offset += 10;
            if (offset + length > data.Length)
            {
                return false;
            }

            var rdata = data.Slice(offset, length);
            offset += length;
            IPAddress? address = null;
            if (type is DnsRecordType.A or DnsRecordType.Aaaa)
            {
                if (rdata.Length != (type == DnsRecordType.A ? 4 : 16))
                {
                    return false;
                }

                address = new IPAddress(rdata);
            }

            records[i] = new DnsRecord(name, type, (ushort)(cls & ~DnsQuestion.TopBit), (cls & DnsQuestion.TopBit) != 0, ttl, address);
        }

        return true;
    }
}
