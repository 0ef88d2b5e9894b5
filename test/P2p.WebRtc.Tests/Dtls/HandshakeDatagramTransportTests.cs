using Microsoft.Extensions.Logging.Abstractions;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Testing.Transports;

namespace P2p.WebRtc.Tests.Dtls;

/// <summary>The queue between the lower transport and BouncyCastle's blocking handshake.</summary>
[TestFixture]
public sealed class HandshakeDatagramTransportTests
{
    [Test]
    public async Task A_handshake_datagram_up_to_the_receive_limit_is_taken_and_a_larger_one_is_dropped()
    {
        await using var link = new InMemoryDatagramLink();
        using var abort = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var transport = new HandshakeDatagramTransport(link.A, false, TimeProvider.System, NullLogger.Instance, abort.Token);

        Assert.That(transport.GetReceiveLimit(), Is.EqualTo(HandshakeDatagramTransport.ReceiveLimit));
        Assert.That(transport.TryEnqueue(new byte[HandshakeDatagramTransport.ReceiveLimit + 1]), Is.False, "larger than any WebRTC stack's handshake datagram");
        Assert.That(transport.TryEnqueue(Filled(HandshakeDatagramTransport.ReceiveLimit, 7)), Is.True);

        var buffer = new byte[transport.GetReceiveLimit()];
        Assert.That(transport.Receive(buffer, 0, buffer.Length, 1000), Is.EqualTo(HandshakeDatagramTransport.ReceiveLimit));
        Assert.That(buffer, Is.All.EqualTo(7));
    }

    private static byte[] Filled(int length, byte value)
    {
        var bytes = new byte[length];
        bytes.AsSpan().Fill(value);
        return bytes;
    }
}
