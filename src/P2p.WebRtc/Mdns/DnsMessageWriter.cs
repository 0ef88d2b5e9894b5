using System.Buffers.Binary;
using System.Net.Sockets;

namespace P2p.WebRtc.Mdns;

/// <summary>Writes the DNS messages mDNS for ICE sends: queries, and responses with A/AAAA answers (RFC 6762 §18). Names are not compressed.</summary>
internal static class DnsMessageWriter
{
    /// <summary>A query (flags zero, RFC 6762 §18.2–§18.11).</summary>
    /// <param name="id">The id: zero for a multicast query from port 5353, any value for a one-shot query from another port.</param>
    /// <param name="questions">The questions.</param>
    public static byte[] Query(ushort id, IReadOnlyList<DnsQuestion> questions) => Write(id, 0, questions, []);

    /// <summary>A response (QR and AA set) with address records; <paramref name="questions"/> are echoed (only in unicast replies to one-shot queries, RFC 6762 §6.7).</summary>
    /// <param name="id">Zero, or the query's id for a reply to a one-shot query.</param>
    /// <param name="questions">The questions to repeat, or none.</param>
    /// <param name="answers">A and AAAA records.</param>
    public static byte[] Response(ushort id, IReadOnlyList<DnsQuestion> questions, IReadOnlyList<DnsRecord> answers) =>
        Write(id, DnsHeader.ResponseFlags, questions, answers);

    private static byte[] Write(ushort id, ushort flags, IReadOnlyList<DnsQuestion> questions, IReadOnlyList<DnsRecord> answers)
    {
        var size = DnsHeader.Size;
        foreach (var q in questions)
        {
            size += Checked(q.Name) + 4;
        }

        foreach (var r in answers)
        {
            if (r.Address is null)
            {
                throw new ArgumentException("Only A and AAAA records can be written.", nameof(answers));
            }

            size += Checked(r.Name) + 10 + (r.Address.AddressFamily == AddressFamily.InterNetworkV6 ? 16 : 4);
        }

        if (size > DnsMessage.MaxSize || questions.Count + answers.Count > DnsMessage.MaxEntries)
        {
            throw new ArgumentException("The message would exceed the mDNS size limit.");
        }

        var buffer = new byte[size];
        new DnsHeader(id, flags, (ushort)questions.Count, (ushort)answers.Count, 0, 0).Write(buffer);
        var pos = DnsHeader.Size;
        foreach (var q in questions)
        {
            pos += DnsName.Write(buffer.AsSpan(pos), q.Name);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(pos), (ushort)q.Type);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(pos + 2), (ushort)(q.Class | (q.UnicastResponse ? DnsQuestion.TopBit : 0)));
            pos += 4;
        }

        foreach (var r in answers)
        {
            pos += DnsName.Write(buffer.AsSpan(pos), r.Name);
            var type = r.Address!.AddressFamily == AddressFamily.InterNetworkV6 ? DnsRecordType.Aaaa : DnsRecordType.A;
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(pos), (ushort)type);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(pos + 2), (ushort)(r.Class | (r.CacheFlush ? DnsQuestion.TopBit : 0)));
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(pos + 4), r.Ttl);
            r.Address.TryWriteBytes(buffer.AsSpan(pos + 10), out var written);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(pos + 8), (ushort)written);
            pos += 10 + written;
        }

        return buffer;
    }

    private static int Checked(string name)
    {
        var n = DnsName.WireLength(name);
        return n > 0 ? n : throw new ArgumentException($"\"{name}\" is not a valid DNS name.", nameof(name));
    }
}
