using P2p.WebRtc.Dtls;
using P2p.WebRtc.Testing.Transports;
using P2p.WebRtc.Tests.Support;
using static P2p.WebRtc.Tests.Dtls.DtlsTestPeers;

namespace P2p.WebRtc.Tests.Dtls;

/// <summary>Two of our transports over real UDP on 127.0.0.1.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class DtlsUdpTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [TestCase(true)]
    [TestCase(false)]
    public async Task Handshake_and_data_both_ways_over_udp_loopback(bool clientOnA)
    {
        var (udpA, udpB) = UdpLoopbackTransport.CreatePair(1400);
        using var _ = udpA;
        using var __ = udpB;
        await using var a = clientOnA ? Client(udpA) : Server(udpA);
        await using var b = clientOnA ? Server(udpB) : Client(udpB);
        var atA = new ReceivedDatagrams();
        var atB = new ReceivedDatagrams();
        a.SetReceiveHandler(atA.Handler);
        b.SetReceiveHandler(atB.Handler);

        await ConnectAsync(a, b);

        const int Count = 1000;
        for (var i = 0; i < Count; i++)
        {
            a.Send(Payload(i, 1200));
            b.Send(Payload(-i, 1200));
        }

        await atB.WaitForCountAsync(Count, Wait);
        await atA.WaitForCountAsync(Count, Wait);
        Assert.Multiple(() =>
        {
            Assert.That(atB.Items.Select(d => BitConverter.ToInt32(d)), Is.EqualTo(Enumerable.Range(0, Count)));
            Assert.That(atA.Items.Select(d => -BitConverter.ToInt32(d)), Is.EqualTo(Enumerable.Range(0, Count)));
            Assert.That(atB.Items[^1], Is.EqualTo(Payload(Count - 1, 1200)));
        });
    }

    [Test]
    public async Task Disposing_stops_every_thread()
    {
        var (udpA, udpB) = UdpLoopbackTransport.CreatePair();
        var client = Client(udpA);
        var server = Server(udpB);
        await ConnectAsync(client, server);

        await client.DisposeAsync();
        await server.DisposeAsync();
        udpA.Dispose();
        udpB.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(client.HandshakeThread!.IsAlive, Is.False);
            Assert.That(server.HandshakeThread!.IsAlive, Is.False);
            Assert.That(udpA.ReceiveThread.IsAlive, Is.False);
            Assert.That(udpB.ReceiveThread.IsAlive, Is.False);
        });
    }
}
