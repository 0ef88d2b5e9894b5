using P2p.Signaling.Server.Redis;

namespace P2p.Signaling.Server.Tests.Cluster;

/// <summary>The binary layout of messages between instances.</summary>
public class BackplaneMessageTests
{
    [Test]
    public void A_relay_round_trips_with_every_field()
    {
        var sent = new BackplaneMessage(BackplaneMessageKind.Relay, long.MaxValue, -32005, true, "instance", "group", "from-ü", "text", new byte[] { 1, 2, 3 });
        Assert.That(BackplaneMessage.TryDecode(sent.Encode(), out var received), Is.True);
        Assert.That(received with { Payload = default }, Is.EqualTo(sent with { Payload = default }));
        Assert.That(received.Payload.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public void Every_prefix_of_a_message_and_an_unknown_kind_are_refused_without_throwing()
    {
        var bytes = new BackplaneMessage(BackplaneMessageKind.Failure, 7, 1, false, "i", "g", "f", "t", new byte[] { 9 }).Encode();
        // Cut anywhere inside the four length-prefixed strings: refused (a cut in the payload is only a shorter payload).
        for (var length = 0; length < bytes.Length - 1; length++)
        {
            Assert.That(BackplaneMessage.TryDecode(bytes.AsMemory(0, length), out _), Is.False, $"prefix {length}");
        }

        bytes[0] = 42;
        Assert.That(BackplaneMessage.TryDecode(bytes, out _), Is.False);
    }

    [Test]
    public void Random_bytes_never_throw()
    {
        var random = new Random(1234);
        for (var i = 0; i < 10_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            if (bytes.Length > 0)
            {
                bytes[0] = (byte)(random.Next(2) == 0 ? 1 : bytes[0]);
            }

            Assert.DoesNotThrow(() => BackplaneMessage.TryDecode(bytes, out _));
        }
    }
}
