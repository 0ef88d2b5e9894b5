using System.Net;
using FsCheck;
using FsCheck.Fluent;
using P2p.WebRtc.Mdns;

namespace P2p.WebRtc.Tests.Mdns;

/// <summary>Robustness of the DNS parser: random and mutated bytes never throw, never loop, and what parses re-parses the same.</summary>
[Parallelizable(ParallelScope.All)]
public class DnsFuzzTests
{
    [Test]
    public void Random_bytes_never_throw() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll(Arb.From(ArbMap.Default.GeneratorFor<byte[]>()), bytes => Parses(bytes ?? []) || true));

    [Test]
    public void Random_bytes_after_a_plausible_header_never_throw()
    {
        // Small counts, so the parser gets past the header into names and records.
        var gen = Gen.Zip(Gen.Choose(0, 63), ArbMap.Default.GeneratorFor<byte[]>(), (counts, tail) =>
            new byte[] { 0, 0, 0x84, 0, 0, (byte)(counts & 3), 0, (byte)((counts >> 2) & 3), 0, 0, 0, (byte)((counts >> 4) & 3) }.Concat(tail ?? []).ToArray());
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll(Arb.From(gen), bytes => Parses(bytes) || true));
    }

    [Test]
    public void Mutations_of_valid_messages_never_throw_and_never_loop()
    {
        var random = new Random(6762);
        var seeds = new[]
        {
            DnsMessageWriter.Query(0, [new DnsQuestion("a.local", DnsRecordType.A), new DnsQuestion("a.local", DnsRecordType.Aaaa, UnicastResponse: true)]),
            DnsMessageWriter.Response(7, [new DnsQuestion("host.local", DnsRecordType.Any)],
                [DnsRecord.ForAddress("host.local", IPAddress.Parse("198.51.100.1"), 120, true), DnsRecord.ForAddress("host.local", IPAddress.Parse("2001:db8::1"), 120, true)]),
        };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        var parsed = 0;
        for (var i = 0; i < 200_000 && DateTime.UtcNow < deadline; i++)
        {
            var bytes = (byte[])seeds[i % seeds.Length].Clone();
            var flips = 1 + random.Next(4);
            for (var f = 0; f < flips; f++)
            {
                var at = random.Next(bytes.Length);
                bytes[at] = random.Next(3) == 0 ? (byte)(0xC0 | random.Next(4)) : (byte)random.Next(256); // pointers are likely
            }

            if (random.Next(4) == 0)
            {
                bytes = bytes[..random.Next(bytes.Length)];
            }

            if (DnsMessage.TryParse(bytes, out var m))
            {
                parsed++;
                Assert.That(m.Questions.Count + m.Answers.Count + m.Additionals.Count, Is.LessThanOrEqualTo(DnsMessage.MaxEntries));
            }
        }

        Assert.That(parsed, Is.GreaterThan(0), "some mutations still parse");
    }

    [Test]
    public void Written_queries_parse_back_to_the_same_questions()
    {
        var label = Gen.Choose(1, 63).SelectMany(n => Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyz0123456789-ÄÖü".ToCharArray()), n))
            .Select(chars => new string(chars));
        var gen = Gen.Zip(Gen.ListOf(label).Select(ls => ls.Take(3).ToArray()), ArbMap.Default.GeneratorFor<bool>(), (labels, unicast) => (labels, unicast));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(Arb.From(gen), t =>
        {
            var name = string.Join('.', t.labels.Append("local"));
            if (!DnsName.IsValid(name))
            {
                return true;
            }

            var question = new DnsQuestion(name, DnsRecordType.Aaaa, UnicastResponse: t.unicast);
            return DnsMessage.TryParse(DnsMessageWriter.Query(0, [question]), out var m) && m.Questions.Single() == question;
        }));
    }

    private static bool Parses(byte[] bytes) => DnsMessage.TryParse(bytes, out _);
}
