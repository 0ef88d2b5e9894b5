using System.Diagnostics;
using System.Net.Sockets;
using System.Net;
using Microsoft.Extensions.Logging;
using P2p.Testing;
using P2p.Testing.NatLab;
using P2p.WebRtc.Mdns;

namespace P2p.WebRtc.Tests.Mdns;

/// <summary>
/// The resolver and the responder on a real link: two network namespaces joined by a veth pair (198.51.100.1 and
/// .2), multicast routed on it. Needs root and iproute2 (./test.sh runs as root).
/// </summary>
[NonParallelizable] // LANs of network namespaces made concurrently have crossed once in CI (a resolver answered by another test's responder): one at a time
public class MdnsLanTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Fails the test (never skips it) when namespaces cannot be made here; the message says what is missing.</summary>
    internal static void RequireNamespaces() => LabCommand.RequireNamespaces();

    [Test]
    public async Task A_resolver_on_one_host_resolves_a_name_the_responder_on_the_other_host_publishes()
    {
        RequireNamespaces();
        using var lan = NamespaceLan.Create("mdns");
        var log = new TestLog(LogLevel.Debug);
        await using var responder = new MdnsResponder(new MdnsOptions { SocketFactory = new NamespaceMdnsSocketFactory(lan.B), LoggerFactory = log });
        var name = MdnsNames.NewRandom();
        Assert.That(responder.Publish(name, NamespaceLan.AddressB), Is.True, "the responder listens on B's interface");
        await using var resolver = new MdnsResolver(new MdnsOptions { SocketFactory = new NamespaceMdnsSocketFactory(lan.A), LoggerFactory = log }, [NamespaceLan.AddressA]);

        var addresses = await resolver.ResolveAsync(name.ToUpperInvariant()).WaitAsync(Timeout);

        Assert.That(addresses, Is.EqualTo(new[] { NamespaceLan.AddressB }), log.ToString());
        Assert.That(responder.AnswersSent, Is.GreaterThanOrEqualTo(1));
        Assert.That(resolver.QueriesSent, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task A_name_nobody_answers_gives_no_address_after_the_configured_queries_and_timeout()
    {
        RequireNamespaces();
        using var lan = NamespaceLan.Create("mdns");
        await using var responder = new MdnsResponder(new MdnsOptions { SocketFactory = new NamespaceMdnsSocketFactory(lan.B) });
        responder.Publish(MdnsNames.NewRandom(), NamespaceLan.AddressB); // a responder that owns another name stays silent
        var options = new MdnsOptions { SocketFactory = new NamespaceMdnsSocketFactory(lan.A), QueryCount = 3, ResolutionTimeout = TimeSpan.FromMilliseconds(700) };
        await using var resolver = new MdnsResolver(options, [NamespaceLan.AddressA]);
        var started = Stopwatch.GetTimestamp();

        var addresses = await resolver.ResolveAsync(MdnsNames.NewRandom()).WaitAsync(Timeout);

        var elapsed = Stopwatch.GetElapsedTime(started);
        Assert.Multiple(() =>
        {
            Assert.That(addresses, Is.Empty);
            Assert.That(resolver.QueriesSent, Is.EqualTo(3));
            Assert.That(elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(650)).And.LessThan(TimeSpan.FromSeconds(5)));
            Assert.That(responder.AnswersSent, Is.Zero);
        });
    }

    [Test]
    public async Task A_one_shot_query_from_another_port_gets_a_unicast_reply_with_its_id_and_question_and_a_short_ttl()
    {
        RequireNamespaces();
        using var lan = NamespaceLan.Create("mdns");
        await using var responder = new MdnsResponder(new MdnsOptions { SocketFactory = new NamespaceMdnsSocketFactory(lan.B) });
        var name = MdnsNames.NewRandom();
        responder.Publish(name, NamespaceLan.AddressB);
        using var socket = lan.A.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        socket.Bind(new IPEndPoint(NamespaceLan.AddressA, 0));
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, NamespaceLan.AddressA.GetAddressBytes());
        var question = new DnsQuestion(name, DnsRecordType.A);

        await socket.SendToAsync(DnsMessageWriter.Query(0x1234, [question]), new IPEndPoint(MdnsEndPoints.IPv4Group, MdnsEndPoints.Port));
        var buffer = new byte[DnsMessage.MaxSize];
        var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0)).WaitAsync(Timeout);

        Assert.That(DnsMessage.TryParse(buffer.AsSpan(0, received.ReceivedBytes), out var reply), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(received.RemoteEndPoint, Is.EqualTo(new IPEndPoint(NamespaceLan.AddressB, MdnsEndPoints.Port)));
            Assert.That(reply!.Header.IsResponse, Is.True);
            Assert.That(reply.Header.Id, Is.EqualTo(0x1234));
            Assert.That(reply.Questions, Is.EqualTo(new[] { question }));
            Assert.That(reply.Answers.Single().Address, Is.EqualTo(NamespaceLan.AddressB));
            Assert.That(reply.Answers.Single().Ttl, Is.LessThanOrEqualTo(10u), "RFC 6762 §6.7");
            Assert.That(reply.Answers.Single().CacheFlush, Is.False, "RFC 6762 §6.7");
        });
    }

    [Test]
    public async Task The_responder_answers_only_for_names_it_owns_and_says_goodbye_when_disposed()
    {
        RequireNamespaces();
        using var lan = NamespaceLan.Create("mdns");
        var responder = new MdnsResponder(new MdnsOptions { SocketFactory = new NamespaceMdnsSocketFactory(lan.B), RecordTtl = TimeSpan.FromSeconds(120) });
        var name = MdnsNames.NewRandom();
        responder.Publish(name, NamespaceLan.AddressB);

        // A listener on A's port 5353, member of the group: it sees every multicast answer.
        using var listener = lan.A.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Any, MdnsEndPoints.Port));
        listener.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(MdnsEndPoints.IPv4Group, NamespaceLan.AddressA));
        listener.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, NamespaceLan.AddressA.GetAddressBytes());
        var group = new IPEndPoint(MdnsEndPoints.IPv4Group, MdnsEndPoints.Port);

        await listener.SendToAsync(DnsMessageWriter.Query(0, [new DnsQuestion(MdnsNames.NewRandom(), DnsRecordType.A)]), group);
        await listener.SendToAsync(DnsMessageWriter.Query(0, [new DnsQuestion(name, DnsRecordType.Any)]), group);
        var answer = await NextResponseAsync(listener);
        await responder.DisposeAsync();
        var goodbye = await NextResponseAsync(listener);

        Assert.Multiple(() =>
        {
            Assert.That(answer.Answers.Single(), Is.EqualTo(new DnsRecord(name, DnsRecordType.A, 1, true, 120, NamespaceLan.AddressB)));
            Assert.That(goodbye.Answers.Single(), Is.EqualTo(new DnsRecord(name, DnsRecordType.A, 1, true, 0, NamespaceLan.AddressB)));
            Assert.That(responder.AnswersSent, Is.EqualTo(1), "the unknown name got no answer");
        });
    }

    private static async Task<DnsMessage> NextResponseAsync(Socket socket)
    {
        var buffer = new byte[DnsMessage.MaxSize];
        while (true)
        {
            var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0)).WaitAsync(Timeout);
            if (DnsMessage.TryParse(buffer.AsSpan(0, received.ReceivedBytes), out var m) && m.Header.IsResponse)
            {
                return m;
            }
        }
    }
}
