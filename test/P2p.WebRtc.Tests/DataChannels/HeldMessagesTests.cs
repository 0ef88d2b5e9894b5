using System.Text;
using P2p.WebRtc.DataChannels;

namespace P2p.WebRtc.Tests.DataChannels;

/// <summary>Messages that arrive before anything subscribed to <see cref="RtcDataChannel.MessageReceived"/> are held for the first handler.</summary>
public class HeldMessagesTests
{
    [Test]
    public void Messages_before_the_first_handler_reach_it_in_order_and_later_ones_follow()
    {
        var channel = new RtcDataChannel("c", new RtcDataChannelInit(), 1);
        Assert.That(channel.OnMessage(DataChannelPpid.String, "one"u8.ToArray()), Is.True);
        Assert.That(channel.OnMessage(DataChannelPpid.Binary, new byte[] { 2 }), Is.True);
        Assert.That(channel.OnMessage(DataChannelPpid.StringEmpty, new byte[] { 0 }), Is.True);

        var received = new List<string>();
        channel.MessageReceived += (_, e) => received.Add(e.IsText ? "text:" + Encoding.UTF8.GetString(e.Data.Span) : "binary:" + e.Data.Length);
        Assert.That(received, Is.EqualTo(new[] { "text:one", "binary:1", "text:" }), "held messages are raised while the handler is added");

        channel.OnMessage(DataChannelPpid.String, "four"u8.ToArray());
        Assert.That(received, Has.Count.EqualTo(4));
        Assert.That(received[^1], Is.EqualTo("text:four"));

        var second = 0;
        channel.MessageReceived += (_, _) => second++;
        Assert.That(second, Is.Zero, "only the first handler gets the held messages");
    }

    [Test]
    public void Beyond_the_bound_messages_are_refused_so_the_caller_can_report_them()
    {
        var channel = new RtcDataChannel("c", new RtcDataChannelInit(), 1);
        for (var i = 0; i < RtcDataChannel.MaxHeldMessages; i++)
        {
            Assert.That(channel.OnMessage(DataChannelPpid.Binary, new byte[] { 1 }), Is.True);
        }

        Assert.That(channel.OnMessage(DataChannelPpid.Binary, new byte[] { 1 }), Is.False);

        var big = new RtcDataChannel("big", new RtcDataChannelInit(), 3);
        Assert.That(big.OnMessage(DataChannelPpid.Binary, new byte[RtcDataChannel.MaxHeldBytes]), Is.True);
        Assert.That(big.OnMessage(DataChannelPpid.Binary, new byte[1]), Is.False, "16 MiB held at most");

        var count = 0;
        channel.MessageReceived += (_, _) => count++;
        Assert.That(count, Is.EqualTo(RtcDataChannel.MaxHeldMessages));
    }
}
