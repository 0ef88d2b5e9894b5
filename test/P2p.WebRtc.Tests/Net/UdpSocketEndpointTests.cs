using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Tests.Net;

[TestFixture]
public sealed class UdpSocketEndpointTests
{
    [Test]
    public async Task An_oversized_datagram_is_dropped_and_counted_and_the_next_one_arrives()
    {
        using var endpoint = new UdpSocketEndpoint(IPAddress.Loopback, 1 << 20, NullLogger.Instance);
        var received = Channel.CreateUnbounded<int>();
        endpoint.Start((datagram, _) => received.Writer.TryWrite(datagram.Length));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        sender.SendTo(new byte[UdpSocketEndpoint.MaxDatagramSize + 1], endpoint.LocalEndPoint);
        sender.SendTo(new byte[UdpSocketEndpoint.MaxDatagramSize], endpoint.LocalEndPoint);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.That(await received.Reader.ReadAsync(timeout.Token), Is.EqualTo(UdpSocketEndpoint.MaxDatagramSize));
        Assert.That(endpoint.OversizedDatagrams, Is.EqualTo(1));
    }
}
