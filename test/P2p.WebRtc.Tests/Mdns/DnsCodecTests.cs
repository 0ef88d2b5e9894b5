using System.Net;
using P2p.WebRtc.Mdns;

namespace P2p.WebRtc.Tests.Mdns;

[Parallelizable(ParallelScope.All)]
public class DnsCodecTests
{
    private const string Name = "1f0e2c0a-5b6d-4e7f-8a9b-0c1d2e3f4a5b.local";

    [Test]
    public void A_query_for_A_and_AAAA_round_trips_with_its_unicast_response_bits()
    {
        var bytes = DnsMessageWriter.Query(0, [new DnsQuestion(Name, DnsRecordType.A, UnicastResponse: true), new DnsQuestion(Name, DnsRecordType.Aaaa)]);

        Assert.That(DnsMessage.TryParse(bytes, out var m), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(m!.Header.IsResponse, Is.False);
            Assert.That(m.Header.Id, Is.Zero);
            Assert.That(m.Questions, Has.Count.EqualTo(2));
            Assert.That(m.Questions[0], Is.EqualTo(new DnsQuestion(Name, DnsRecordType.A, DnsQuestion.ClassIn, true)));
            Assert.That(m.Questions[1], Is.EqualTo(new DnsQuestion(Name, DnsRecordType.Aaaa, DnsQuestion.ClassIn, false)));
            Assert.That(m.Answers, Is.Empty);
        });
    }

    [Test]
    public void A_response_with_A_and_AAAA_records_round_trips_with_cache_flush_and_ttl()
    {
        var v4 = IPAddress.Parse("198.51.100.7");
        var v6 = IPAddress.Parse("2001:db8::7");
        var bytes = DnsMessageWriter.Response(0, [], [DnsRecord.ForAddress(Name, v4, 120, cacheFlush: true), DnsRecord.ForAddress(Name, v6, 120, cacheFlush: false)]);

        Assert.That(DnsMessage.TryParse(bytes, out var m), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(m!.Header.IsResponse, Is.True);
            Assert.That(m.Header.Flags, Is.EqualTo(DnsHeader.ResponseFlags));
            Assert.That(m.Answers[0], Is.EqualTo(new DnsRecord(Name, DnsRecordType.A, 1, true, 120, v4)));
            Assert.That(m.Answers[1], Is.EqualTo(new DnsRecord(Name, DnsRecordType.Aaaa, 1, false, 120, v6)));
            Assert.That(m.AddressesOf(Name.ToUpperInvariant()), Is.EqualTo(new[] { v4, v6 }), "names compare case-insensitively");
            Assert.That(m.AddressesOf("other.local"), Is.Empty);
        });
    }

    [Test]
    public void Goodbye_records_with_ttl_zero_give_no_address()
    {
        var bytes = DnsMessageWriter.Response(0, [], [DnsRecord.ForAddress(Name, IPAddress.Parse("198.51.100.7"), 0, cacheFlush: true)]);

        Assert.That(DnsMessage.TryParse(bytes, out var m), Is.True);
        Assert.That(m!.AddressesOf(Name), Is.Empty);
    }

    [Test]
    public void A_compressed_name_is_read_through_its_pointer()
    {
        // Header (1 answer, 1 additional), answer "host.local" A, additional "x" + pointer to "local" (offset 17) AAAA.
        var message = new List<byte> { 0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 1 };
        message.AddRange([4, (byte)'h', (byte)'o', (byte)'s', (byte)'t', 5, (byte)'l', (byte)'o', (byte)'c', (byte)'a', (byte)'l', 0]);
        message.AddRange([0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 198, 51, 100, 9]);
        message.AddRange([1, (byte)'x', 0xC0, 17]);
        message.AddRange([0, 28, 0, 1, 0, 0, 0, 120, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);

        Assert.That(DnsMessage.TryParse(message.ToArray(), out var m), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(m!.Answers[0].Name, Is.EqualTo("host.local"));
            Assert.That(m.Answers[0].CacheFlush, Is.True);
            Assert.That(m.Additionals[0].Name, Is.EqualTo("x.local"));
            Assert.That(m.AddressesOf("x.local"), Is.EqualTo(new[] { IPAddress.Parse("2001:db8::9") }));
        });
    }

    [TestCase(new byte[] { 0xC0, 12 }, TestName = "A_pointer_to_itself_is_rejected")]
    [TestCase(new byte[] { 0xC0, 14, 0 }, TestName = "A_forward_pointer_is_rejected")]
    [TestCase(new byte[] { 1, (byte)'a', 0xC0, 12 }, TestName = "A_pointer_back_into_its_own_run_of_labels_is_rejected")]
    [TestCase(new byte[] { 0x40, 0 }, TestName = "An_extended_label_type_is_rejected")]
    [TestCase(new byte[] { 5, (byte)'a', (byte)'b' }, TestName = "A_label_past_the_end_is_rejected")]
    [TestCase(new byte[] { 1, (byte)'.', 0 }, TestName = "A_dot_inside_a_label_is_rejected")]
    [TestCase(new byte[] { 1, 0xFF, 0 }, TestName = "A_label_that_is_not_utf8_is_rejected")]
    [TestCase(new byte[] { 0xC0 }, TestName = "A_pointer_cut_in_half_is_rejected")]
    public void Malformed_names_are_rejected(byte[] name)
    {
        var message = new byte[] { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 }.Concat(name).Concat(new byte[] { 0, 1, 0, 1 }).ToArray();

        Assert.That(DnsMessage.TryParse(message, out _), Is.False);
    }

    [Test]
    public void Two_pointers_that_point_at_each_other_do_not_loop()
    {
        // offset 12: 1 'a' pointer->16 ; offset 16: 1 'b' pointer->12 (forward, then back into an earlier run).
        var message = new byte[] { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, (byte)'a', 0xC0, 16, 1, (byte)'b', 0xC0, 12, 0, 1, 0, 1 };

        Assert.That(DnsMessage.TryParse(message, out _), Is.False);
    }

    [Test]
    public void A_chain_of_backward_pointers_longer_than_the_cap_is_rejected()
    {
        // 40 names, each a pointer to the one before; the first is "a.local".
        var message = new List<byte> { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
        message.AddRange([1, (byte)'a', 5, (byte)'l', (byte)'o', (byte)'c', (byte)'a', (byte)'l', 0]);
        var previous = 12;
        for (var i = 0; i < 40; i++)
        {
            var here = message.Count;
            message.AddRange([0xC0, (byte)previous]);
            previous = here;
        }

        var question = message.Count;
        message.AddRange([0xC0, (byte)previous, 0, 1, 0, 1]);
        message[5] = 1;
        var bytes = message.ToArray();

        var offset = question;
        Assert.That(DnsName.TryRead(bytes, ref offset, out _), Is.False, "more than 32 pointers");
        offset = 12 + 9 + (2 * 10);
        Assert.That(DnsName.TryRead(bytes, ref offset, out var name), Is.True, "a few pointers are fine");
        Assert.That(name, Is.EqualTo("a.local"));
    }

    [Test]
    public void A_name_longer_than_255_bytes_is_rejected_on_read_and_on_write()
    {
        var label = new string('a', 63);
        var tooLong = string.Join('.', label, label, label, label) + ".local";
        var message = new List<byte> { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (var l in tooLong.Split('.'))
        {
            message.Add((byte)l.Length);
            message.AddRange(l.Select(c => (byte)c));
        }

        message.AddRange([0, 0, 1, 0, 1]);

        Assert.Multiple(() =>
        {
            Assert.That(DnsMessage.TryParse(message.ToArray(), out _), Is.False);
            Assert.That(DnsName.IsValid(tooLong), Is.False);
            Assert.That(MdnsNames.IsLocal(tooLong), Is.False);
            Assert.That(() => DnsMessageWriter.Query(0, [new DnsQuestion(tooLong, DnsRecordType.A)]), Throws.ArgumentException);
        });
    }

    [Test]
    public void Counts_that_promise_more_than_the_message_holds_are_rejected()
    {
        var query = DnsMessageWriter.Query(0, [new DnsQuestion(Name, DnsRecordType.A)]);
        query[7] = 3; // three answers that are not there

        Assert.That(DnsMessage.TryParse(query, out _), Is.False);
    }

    [Test]
    public void An_address_record_with_the_wrong_data_length_is_rejected()
    {
        var response = DnsMessageWriter.Response(0, [], [DnsRecord.ForAddress(Name, IPAddress.Parse("198.51.100.7"), 120, true)]);
        var bytes = response.Concat(new byte[] { 0 }).ToArray();
        bytes[^6] = 5; // RDLENGTH 4 -> 5

        Assert.That(DnsMessage.TryParse(bytes, out _), Is.False);
    }

    [Test]
    public void Messages_over_the_mdns_size_limit_are_rejected()
    {
        var bytes = new byte[DnsMessage.MaxSize + 1];

        Assert.That(DnsMessage.TryParse(bytes, out _), Is.False);
    }

    [TestCase("abc.local", true)]
    [TestCase("ABC.LOCAL.", true)]
    [TestCase("local", false)]
    [TestCase(".local", false)]
    [TestCase("abc.example", false)]
    [TestCase("a..local", false)]
    [TestCase("", false)]
    public void Only_valid_names_in_the_local_domain_are_mdns_names(string name, bool local) =>
        Assert.That(MdnsNames.IsLocal(name), Is.EqualTo(local));

    [Test]
    public void New_random_names_are_uuid_v4_in_the_local_domain()
    {
        var name = MdnsNames.NewRandom();

        Assert.That(name, Does.Match("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\\.local$"));
        Assert.That(MdnsNames.NewRandom(), Is.Not.EqualTo(name));
    }
}
