using System.Net;
using P2p.Fuzzing.Targets;
using P2p.WebRtc.Mdns;

namespace P2p.Fuzzing.Seeds;

/// <summary>mDNS queries and responses as our resolver and responder write them, and one with a compression pointer.</summary>
internal static class MdnsSeeds
{
    public static IEnumerable<Seed> All()
    {
        yield return new("query", DnsMessageWriter.Query(0, [new DnsQuestion(MdnsTarget.OwnName, DnsRecordType.A, UnicastResponse: true)]));
        yield return new("legacy-query", DnsMessageWriter.Query(0x1234, [new DnsQuestion(MdnsTarget.OwnName, DnsRecordType.Any)]));
        yield return new("response", DnsMessageWriter.Response(0, [],
            [DnsRecord.ForAddress(MdnsTarget.OwnName, IPAddress.Parse("198.51.100.10"), 120, true), DnsRecord.ForAddress(MdnsTarget.OwnName, IPAddress.Parse("fd00::10"), 120, true)]));
        var response = DnsMessageWriter.Response(0, [new DnsQuestion(MdnsTarget.OwnName, DnsRecordType.A)], [DnsRecord.ForAddress(MdnsTarget.OwnName, IPAddress.Parse("198.51.100.10"), 120, false)]);
        // The answer's name as a pointer to the question's (RFC 1035 §4.1.4), as other responders write it.
        var question = 12 + MdnsTarget.OwnName.Length + 2 + 4;
        var compressed = response.AsSpan(0, question).ToArray().Concat(new byte[] { 0xC0, 12 }).Concat(response.AsSpan(question + MdnsTarget.OwnName.Length + 2).ToArray()).ToArray();
        yield return new("response-compressed", compressed);
    }
}
