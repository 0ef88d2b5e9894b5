using System.Text;
using System.Threading.Channels;
using P2p.WebRtc.DataChannels;

namespace P2p.WebRtc.Tests.PeerConnection;

public class PeerConnectionDataTests
{
    [Test]
    [CancelAfter(30_000)]
    public async Task Channels_open_in_both_directions_and_carry_string_binary_and_empty_messages()
    {
        await using var pair = new PeerPair();
        var fromOfferer = pair.Offerer.CreateDataChannel("offerer-made");
        var announcedAtAnswerer = PeerPair.NextRemoteChannelAsync(pair.Answerer);
        await pair.ConnectAsync();
        var atAnswerer = await announcedAtAnswerer.WaitAsync(PeerPair.Timeout);
        await PeerPair.WaitOpenAsync(fromOfferer);

        var announcedAtOfferer = PeerPair.NextRemoteChannelAsync(pair.Offerer);
        var fromAnswerer = pair.Answerer.CreateDataChannel("answerer-made", new RtcDataChannelInit { Protocol = "proto" });
        var atOfferer = await announcedAtOfferer.WaitAsync(PeerPair.Timeout);
        await PeerPair.WaitOpenAsync(fromAnswerer);

        Assert.Multiple(() =>
        {
            Assert.That(atAnswerer.Label, Is.EqualTo("offerer-made"));
            Assert.That(atOfferer.Label, Is.EqualTo("answerer-made"));
            Assert.That(atOfferer.Protocol, Is.EqualTo("proto"));
            // RFC 8832 §6: the answerer answered active, so it is the DTLS client and uses even ids.
            Assert.That(fromAnswerer.Id!.Value % 2, Is.Zero);
            Assert.That(fromOfferer.Id!.Value % 2, Is.EqualTo(1));
            Assert.That(atAnswerer.Id, Is.EqualTo(fromOfferer.Id));
        });

        var received = Collect(atAnswerer);
        fromOfferer.Send("hello");
        fromOfferer.Send(new byte[] { 1, 2, 3 });
        fromOfferer.Send(string.Empty);
        fromOfferer.Send(ReadOnlySpan<byte>.Empty);
        var messages = await Take(received, 4);
        Assert.Multiple(() =>
        {
            Assert.That(messages[0].IsText && messages[0].Text == "hello", Is.True);
            Assert.That(!messages[1].IsText && messages[1].Data.ToArray().SequenceEqual(new byte[] { 1, 2, 3 }), Is.True);
            Assert.That(messages[2].IsText && messages[2].Data.Length == 0, Is.True, "empty string");
            Assert.That(!messages[3].IsText && messages[3].Data.Length == 0, Is.True, "empty binary");
        });

        var back = Collect(fromAnswerer);
        atOfferer.Send("reply");
        Assert.That((await Take(back, 1))[0].Text, Is.EqualTo("reply"));
    }

    private static ChannelReader<RtcDataChannelMessageEventArgs> Collect(RtcDataChannel channel)
    {
        var queue = Channel.CreateUnbounded<RtcDataChannelMessageEventArgs>();
        channel.MessageReceived += (_, e) => queue.Writer.TryWrite(e);
        return queue.Reader;
    }

    private static async Task<List<RtcDataChannelMessageEventArgs>> Take(ChannelReader<RtcDataChannelMessageEventArgs> reader, int count)
    {
        var list = new List<RtcDataChannelMessageEventArgs>();
        using var timeout = new CancellationTokenSource(PeerPair.Timeout);
        while (list.Count < count)
        {
            list.Add(await reader.ReadAsync(timeout.Token));
        }

        return list;
    }
}
