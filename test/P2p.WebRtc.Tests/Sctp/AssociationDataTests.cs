using P2p.WebRtc.Sctp;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

public class AssociationDataTests
{
    private static SctpSimulation Connected(SctpOptions? a = null, SctpOptions? b = null, SimulatedLink? link = null, int seed = 1)
    {
        var sim = new SctpSimulation(a ?? SctpTestUtil.Options(), b ?? SctpTestUtil.Options(), link, link, seed);
        sim.ConnectBoth();
        return sim;
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(1171)]
    [TestCase(1172)]
    [TestCase(1173)]
    [TestCase(64 * 1024)]
    [TestCase(256 * 1024)]
    [TestCase(4 * 1024 * 1024 + 3)]
    public void Message_of_size_arrives_intact(int size)
    {
        var sim = Connected();
        var payload = SctpTestUtil.Payload(size, size);
        sim.A.SendOk(sim, 3, 53, payload);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(), TimeSpan.FromMinutes(1)), Is.True);
        var m = sim.EventsB.Messages().Single();
        Assert.That(m.StreamId, Is.EqualTo(3));
        Assert.That(m.Ppid, Is.EqualTo(53u));
        Assert.That(m.Unordered, Is.False);
        Assert.That(SctpTestUtil.Sha(m.Payload.Span), Is.EqualTo(SctpTestUtil.Sha(payload)));
    }

    [Test]
    public void Message_of_sixteen_mebibytes_arrives_intact()
    {
        var sim = Connected();
        var payload = SctpTestUtil.Payload(16 * 1024 * 1024 + 5, 16);
        sim.A.SendOk(sim, 0, 53, payload);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(), TimeSpan.FromMinutes(1)), Is.True);
        Assert.That(SctpTestUtil.Sha(sim.EventsB.Messages().Single().Payload.Span), Is.EqualTo(SctpTestUtil.Sha(payload)));
    }

    [Test]
    public void Empty_message_is_rejected_with_a_clear_status()
    {
        var sim = Connected();
        Assert.That(sim.A.Send(0, 57, [], default, sim.Now), Is.EqualTo(SctpSendStatus.ErrorMessageEmpty));
    }

    [Test]
    public void Message_above_max_message_size_is_rejected()
    {
        var sim = Connected(new SctpOptions { MaxMessageSize = 1000 });
        Assert.That(sim.A.Send(0, 53, new byte[1001], default, sim.Now), Is.EqualTo(SctpSendStatus.ErrorMessageTooLarge));
        Assert.That(sim.A.Send(0, 53, new byte[1000], default, sim.Now), Is.EqualTo(SctpSendStatus.Success));
    }

    [Test]
    public void Incoming_message_above_limit_aborts_the_association()
    {
        var sim = Connected(SctpTestUtil.Options(), new SctpOptions { MaxReceiveMessageSize = 10_000 });
        sim.A.SendOk(sim, 0, 53, new byte[20_000]);
        Assert.That(sim.RunUntil(() => sim.A.IsClosed && sim.B.IsClosed, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(sim.EventsB.Closed()!.Value.CloseInfo!.Reason, Is.EqualTo(SctpCloseReason.ProtocolViolation));
        Assert.That(sim.EventsA.Closed()!.Value.CloseInfo!.Reason, Is.EqualTo(SctpCloseReason.PeerAbort));
        Assert.That(sim.EventsA.Closed()!.Value.CloseInfo!.ErrorCause, Is.EqualTo(SctpErrorCauseCode.ProtocolViolation));
    }

    [Test]
    public void Send_buffer_limit_returns_resource_exhaustion()
    {
        var sim = Connected(new SctpOptions { MaxSendBufferSize = 5000 });
        Assert.That(sim.A.Send(0, 53, new byte[4000], default, sim.Now), Is.EqualTo(SctpSendStatus.Success));
        Assert.That(sim.A.Send(0, 53, new byte[2000], default, sim.Now), Is.EqualTo(SctpSendStatus.ErrorResourceExhaustion));
    }

    [Test]
    public void Invalid_stream_is_rejected()
    {
        var sim = Connected(new SctpOptions { OutboundStreams = 10 });
        Assert.That(sim.A.Send(10, 53, [1], default, sim.Now), Is.EqualTo(SctpSendStatus.ErrorInvalidStream));
        Assert.That(sim.A.Send(9, 53, [1], default, sim.Now), Is.EqualTo(SctpSendStatus.Success));
    }

    [Test]
    public void Messages_queued_before_connect_are_sent_once_established()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options());
        sim.A.SendOk(sim, 1, 51, [7, 7]);
        sim.A.Connect(sim.Now);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(), TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(sim.EventsB.Messages().Single().Payload.ToArray(), Is.EqualTo(new byte[] { 7, 7 }));
    }

    [Test]
    public void Many_streams_ordered_and_unordered_every_message_once_and_ordered_in_order()
    {
        var sim = Connected(link: new SimulatedLink { Loss = 0.02, Reorder = 0.05 });
        var expected = new Dictionary<ushort, List<string>>();
        var rnd = new Random(5);
        for (var i = 0; i < 3000; i++)
        {
            var stream = (ushort)rnd.Next(0, 200);
            var unordered = stream % 3 == 0;
            var payload = SctpTestUtil.Payload(rnd.Next(1, 3000), i);
            sim.A.SendOk(sim, stream, (uint)(unordered ? 53 : 51), payload, new SctpSendOptions { Unordered = unordered });
            (expected.TryGetValue(stream, out var l) ? l : expected[stream] = []).Add(SctpTestUtil.Sha(payload));
        }

        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Count() == 3000, TimeSpan.FromMinutes(10)), Is.True);
        foreach (var (stream, hashes) in expected)
        {
            var got = sim.EventsB.Messages().Where(m => m.StreamId == stream).Select(m => SctpTestUtil.Sha(m.Payload.Span)).ToList();
            if (stream % 3 == 0)
            {
                Assert.That(got, Is.EquivalentTo(hashes), $"unordered stream {stream}");
                Assert.That(sim.EventsB.Messages().Where(m => m.StreamId == stream).All(m => m.Unordered), Is.True);
            }
            else
            {
                Assert.That(got, Is.EqualTo(hashes), $"ordered stream {stream}");
            }
        }
    }

    [Test]
    public void Both_directions_at_once()
    {
        var sim = Connected();
        var a = SctpTestUtil.Payload(1_000_000, 1);
        var b = SctpTestUtil.Payload(1_500_000, 2);
        sim.A.SendOk(sim, 0, 53, a);
        sim.B.SendOk(sim, 0, 53, b);
        Assert.That(sim.RunUntil(() => sim.EventsA.Messages().Any() && sim.EventsB.Messages().Any(), TimeSpan.FromMinutes(1)), Is.True);
        Assert.That(SctpTestUtil.Sha(sim.EventsB.Messages().Single().Payload.Span), Is.EqualTo(SctpTestUtil.Sha(a)));
        Assert.That(SctpTestUtil.Sha(sim.EventsA.Messages().Single().Payload.Span), Is.EqualTo(SctpTestUtil.Sha(b)));
    }

    [Test]
    public void Tsn_wrap_around_is_handled()
    {
        var options = SctpTestUtil.Options() with { InitialTsn = uint.MaxValue - 50 };
        var sim = Connected(options, options, new SimulatedLink { Loss = 0.05, Reorder = 0.05 });
        var payloads = Enumerable.Range(0, 300).Select(i => SctpTestUtil.Payload(2000, i)).ToList();
        foreach (var p in payloads)
        {
            sim.A.SendOk(sim, 1, 53, p);
        }

        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Count() == 300, TimeSpan.FromMinutes(5)), Is.True);
        Assert.That(sim.EventsB.Messages().Select(m => SctpTestUtil.Sha(m.Payload.Span)), Is.EqualTo(payloads.Select(p => SctpTestUtil.Sha(p))));
    }

    [Test]
    public void Buffered_amount_drops_and_low_threshold_event_fires()
    {
        var sim = Connected();
        sim.A.SetBufferedAmountLowThreshold(4, 100_000);
        sim.A.TotalBufferedAmountLowThreshold = 50_000;
        for (var i = 0; i < 10; i++)
        {
            sim.A.SendOk(sim, 4, 53, new byte[50_000]);
        }

        Assert.That(sim.A.GetBufferedAmount(4), Is.EqualTo(500_000));
        Assert.That(sim.A.TotalBufferedAmount, Is.EqualTo(500_000));
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Count() == 10, TimeSpan.FromMinutes(1)), Is.True);
        Assert.That(sim.A.GetBufferedAmount(4), Is.Zero);
        Assert.That(sim.EventsA.Count(e => e.Type == SctpEventType.BufferedAmountLow && e.StreamId == 4), Is.EqualTo(1));
        Assert.That(sim.EventsA.Count(e => e.Type == SctpEventType.TotalBufferedAmountLow), Is.EqualTo(1));
    }

    [Test]
    public void Delayed_ack_acknowledges_a_single_packet_after_the_timeout()
    {
        var sim = Connected();
        sim.A.SendOk(sim, 0, 53, [1]);
        Assert.That(sim.RunUntil(() => sim.A.GetMetrics().BytesInFlight == 0, TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(sim.B.GetMetrics().SacksSent, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void Ping_pong_sack_is_bundled_with_the_reply()
    {
        var sim = Connected();
        sim.OnEvent = (fromA, e) =>
        {
            if (e.Type == SctpEventType.MessageReceived && !fromA && e.Message.Payload.Span[0] < 100)
            {
                sim.B.Send(0, 53, new byte[] { (byte)(e.Message.Payload.Span[0] + 1) }, default, sim.Now);
            }
            else if (e.Type == SctpEventType.MessageReceived && fromA && e.Message.Payload.Span[0] < 100)
            {
                sim.A.Send(0, 53, new byte[] { (byte)(e.Message.Payload.Span[0] + 1) }, default, sim.Now);
            }
        };
        var before = sim.B.GetMetrics().PacketsSent;
        sim.A.SendOk(sim, 0, 53, [0]);
        Assert.That(sim.RunUntil(() => sim.EventsA.Messages().Concat(sim.EventsB.Messages()).Any(m => m.Payload.Span[0] == 100), TimeSpan.FromMinutes(1)), Is.True);
        // 50 replies from B, each carrying the SACK for the message it answers: no separate SACK packets.
        Assert.That(sim.B.GetMetrics().PacketsSent - before, Is.EqualTo(50));
    }

    [Test]
    public void Many_tiny_messages_under_loss_all_arrive()
    {
        var link = new SimulatedLink { Loss = 0.02, Reorder = 0.02 };
        var sim = Connected(link: link, seed: 8);
        for (var i = 0; i < 60_000; i++)
        {
            sim.A.SendOk(sim, (ushort)(i % 7), 51, BitConverter.GetBytes(i));
        }

        Assert.That(sim.RunUntil(() => sim.EventsB.Count == 60_001, TimeSpan.FromMinutes(10)), Is.True);
        for (ushort s = 0; s < 7; s++)
        {
            var values = sim.EventsB.Messages().Where(m => m.StreamId == s).Select(m => BitConverter.ToInt32(m.Payload.Span)).ToList();
            Assert.That(values, Is.EqualTo(Enumerable.Range(0, 60_000).Where(i => i % 7 == s)));
        }
    }
}
