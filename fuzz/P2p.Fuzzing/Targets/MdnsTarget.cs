using System.Net;
using P2p.WebRtc.Mdns;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// mDNS (RFC 6762) as the resolver and the responder receive it: <see cref="DnsMessage.TryParse"/> (names with
/// compression pointers, questions, answers, additionals), <see cref="DnsMessage.AddressesOf"/> for the names a
/// resolver looks up, and the responder's answer to a question for its own name (the question echoed, as in a
/// legacy unicast reply). Bad input is a false from TryParse, never thrown.
/// </summary>
internal static class MdnsTarget
{
    /// <summary>The name the target's "responder" owns and its "resolver" looks up (seeds use it).</summary>
    internal const string OwnName = "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab.local";

    private static readonly IPAddress OwnAddress = IPAddress.Parse("198.51.100.10");

    public static void Run(ReadOnlySpan<byte> data)
    {
        if (!DnsMessage.TryParse(data, out var message))
        {
            return;
        }

        _ = (message.Header.IsResponse, message.Header.Opcode, message.Header.ResponseCode, message.Header.Truncated);
        _ = message.AddressesOf(OwnName);
        foreach (var record in message.Answers.Concat(message.Additionals))
        {
            _ = message.AddressesOf(record.Name);
        }

        var echoed = new List<DnsQuestion>();
        var answers = new List<DnsRecord>();
        foreach (var q in message.Questions)
        {
            if (q.Class == DnsQuestion.ClassIn && q.Type is DnsRecordType.A or DnsRecordType.Any && DnsName.Comparer.Equals(q.Name, OwnName))
            {
                answers.Add(DnsRecord.ForAddress(q.Name, OwnAddress, 120, cacheFlush: false));
                echoed.Add(q);
            }
        }

        if (answers.Count > 0)
        {
            var reply = DnsMessageWriter.Response(message.Header.Id, echoed, answers);
            if (!DnsMessage.TryParse(reply, out _))
            {
                throw new InvalidOperationException("The responder's own reply does not parse.");
            }
        }
    }
}
