using P2p.WebRtc.Sctp;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

/// <summary>Stream reset with RE-CONFIG (RFC 6525) as data channels use it to close (RFC 8831 §6.7).</summary>
public class StreamResetTests
{
    private static IEnumerable<SctpEvent> OfType(List<SctpEvent> events, SctpEventType type) => events.Where(e => e.Type == type);

    [Test]
    public void Reset_closes_the_stream_on_both_sides_and_the_id_can_be_reused()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options());
        sim.ConnectBoth();
        sim.A.SendOk(sim, 7, 51, [1]);
        sim.A.SendOk(sim, 7, 51, [2]);
        sim.B.SendOk(sim, 7, 51, [3]);
        sim.A.ResetStreams([7]);
        Assert.That(sim.RunUntil(
            () => OfType(sim.EventsA, SctpEventType.OutgoingStreamsReset).Any() && OfType(sim.EventsA, SctpEventType.IncomingStreamsReset).Any()
                && OfType(sim.EventsB, SctpEventType.OutgoingStreamsReset).Any() && OfType(sim.EventsB, SctpEventType.IncomingStreamsReset).Any(),
            TimeSpan.FromSeconds(10)), Is.True);

        // Messages sent before the reset arrive before it.
        Assert.That(sim.EventsB.Messages().Select(m => m.Payload.Span[0]), Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(sim.EventsA.Messages().Select(m => m.Payload.Span[0]), Is.EqualTo(new byte[] { 3 }));
        var incomingAtB = sim.EventsB.FindIndex(e => e.Type == SctpEventType.IncomingStreamsReset);
        Assert.That(sim.EventsB.FindLastIndex(e => e.Type == SctpEventType.MessageReceived), Is.LessThan(incomingAtB));
        Assert.That(OfType(sim.EventsB, SctpEventType.IncomingStreamsReset).Single().Streams, Is.EqualTo(new ushort[] { 7 }));

        // The id is reused: sequence numbers restart at 0 on both sides and messages flow again.
        sim.A.SendOk(sim, 7, 50, [10]);
        sim.B.SendOk(sim, 7, 50, [11]);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Count() == 3 && sim.EventsA.Messages().Count() == 2, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(sim.EventsB.Messages().Last().Payload.Span[0], Is.EqualTo(10));
        Assert.That(sim.EventsA.Messages().Last().Payload.Span[0], Is.EqualTo(11));

        // Exactly one reset each way (no ping-pong of automatic resets).
        sim.RunFor(TimeSpan.FromSeconds(5));
        Assert.That(OfType(sim.EventsA, SctpEventType.IncomingStreamsReset).Count(), Is.EqualTo(1));
        Assert.That(OfType(sim.EventsB, SctpEventType.IncomingStreamsReset).Count(), Is.EqualTo(1));
        Assert.That(OfType(sim.EventsA, SctpEventType.OutgoingStreamsReset).Count(), Is.EqualTo(1));
        Assert.That(OfType(sim.EventsB, SctpEventType.OutgoingStreamsReset).Count(), Is.EqualTo(1));
    }

    [Test]
    public void Messages_sent_after_reset_request_wait_and_use_the_new_sequence()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options());
        sim.ConnectBoth();
        sim.A.SendOk(sim, 1, 51, [1]);
        sim.A.ResetStreams([1]);
        sim.A.SendOk(sim, 1, 51, [2]);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Count() == 2, TimeSpan.FromSeconds(10)), Is.True);
        var incoming = sim.EventsB.FindIndex(e => e.Type == SctpEventType.IncomingStreamsReset);
        var second = sim.EventsB.FindIndex(e => e.Type == SctpEventType.MessageReceived && e.Message.Payload.Span[0] == 2);
        Assert.That(incoming, Is.GreaterThanOrEqualTo(0));
        Assert.That(second, Is.GreaterThan(incoming), "the later message belongs to the reused stream");
    }

    [TestCase(11)]
    [TestCase(12)]
    [TestCase(13)]
    public void Reset_under_loss_is_deferred_until_data_arrives_and_completes(int seed)
    {
        var link = new SimulatedLink { Loss = 0.2, Reorder = 0.2 };
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options(), link, link, seed);
        sim.ConnectBoth(TimeSpan.FromMinutes(5));
        var payloads = Enumerable.Range(0, 50).Select(i => SctpTestUtil.Payload(5000, i)).ToList();
        foreach (var p in payloads)
        {
            sim.A.SendOk(sim, 3, 53, p);
        }

        sim.A.ResetStreams([3]);
        sim.A.SendOk(sim, 3, 53, [42]);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Count() == 51 && OfType(sim.EventsA, SctpEventType.IncomingStreamsReset).Any(), TimeSpan.FromMinutes(10)), Is.True);
        var got = sim.EventsB.Messages().ToList();
        Assert.That(got.Take(50).Select(m => SctpTestUtil.Sha(m.Payload.Span)), Is.EqualTo(payloads.Select(p => SctpTestUtil.Sha(p))));
        Assert.That(got[50].Payload.ToArray(), Is.EqualTo(new byte[] { 42 }));
        Assert.That(sim.A.IsClosed || sim.B.IsClosed, Is.False);
    }

    [Test]
    public void Many_streams_reset_at_once()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options());
        sim.ConnectBoth();
        var ids = Enumerable.Range(0, 600).Select(i => (ushort)i).ToArray();
        foreach (var id in ids)
        {
            sim.A.SendOk(sim, id, 51, [1]);
        }

        sim.A.ResetStreams(ids);
        Assert.That(sim.RunUntil(() => OfType(sim.EventsA, SctpEventType.OutgoingStreamsReset).SelectMany(e => e.Streams!).Count() == 600
            && OfType(sim.EventsB, SctpEventType.OutgoingStreamsReset).SelectMany(e => e.Streams!).Count() == 600, TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(OfType(sim.EventsB, SctpEventType.IncomingStreamsReset).SelectMany(e => e.Streams!).Order(), Is.EqualTo(ids));
    }

    [Test]
    public void Reset_before_established_throws()
    {
        var sim = new SctpSimulation();
        Assert.Throws<InvalidOperationException>(() => sim.A.ResetStreams([1]));
    }

    [Test]
    public void Automatic_counter_reset_can_be_disabled()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options() with { ResetOutgoingOnIncomingReset = false });
        sim.ConnectBoth();
        sim.A.ResetStreams([2]);
        Assert.That(sim.RunUntil(() => OfType(sim.EventsA, SctpEventType.OutgoingStreamsReset).Any(), TimeSpan.FromSeconds(10)), Is.True);
        sim.RunFor(TimeSpan.FromSeconds(2));
        Assert.That(OfType(sim.EventsB, SctpEventType.IncomingStreamsReset).Count(), Is.EqualTo(1));
        Assert.That(OfType(sim.EventsA, SctpEventType.IncomingStreamsReset), Is.Empty);
    }

    [Test]
    public void Deferred_reset_retried_with_a_new_sequence_number_is_performed_once()
    {
        uint tagOfB = 0;
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options());
        sim.Tamper = (fromA, p) =>
        {
            if (fromA && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(4)) is var tag and not 0)
            {
                tagOfB = tag;
            }

            return p;
        };
        sim.ConnectBoth();
        sim.A.SendOk(sim, 3, 51, [1]);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(), TimeSpan.FromSeconds(5)), Is.True);
        var firstData = sim.SentByA.First(p => p.Length > 16 && p[12] == 0);
        var t0 = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(firstData.AsSpan(16)); // A's initial TSN = its first request sequence number

        // A request whose last TSN has not arrived yet: deferred ("In progress").
        sim.Inject(true, ResetRequest(tagOfB, t0, lastTsn: t0 + 1, stream: 3));
        Assert.That(OfType(sim.EventsB, SctpEventType.IncomingStreamsReset), Is.Empty);

        // The missing TSN arrives: the reset is performed once.
        sim.A.SendOk(sim, 4, 51, [2]);
        Assert.That(sim.RunUntil(() => OfType(sim.EventsB, SctpEventType.IncomingStreamsReset).Any(), TimeSpan.FromSeconds(5)), Is.True);

        // The sender retries the same reset under a new sequence number: answered, not performed again.
        sim.Inject(true, ResetRequest(tagOfB, t0 + 1, lastTsn: t0 + 1, stream: 3));
        sim.RunFor(TimeSpan.FromSeconds(2));
        Assert.That(OfType(sim.EventsB, SctpEventType.IncomingStreamsReset).Count(), Is.EqualTo(1));
        Assert.That(sim.B.IsClosed, Is.False);
    }

    private static byte[] ResetRequest(uint tag, uint seq, uint lastTsn, ushort stream)
    {
        var parameter = new byte[P2p.WebRtc.Sctp.Parameters.OutgoingSsnResetRequestParameter.SizeOf(1)];
        var n = P2p.WebRtc.Sctp.Parameters.OutgoingSsnResetRequestParameter.Write(parameter, seq, 0, lastTsn, [stream]);
        var chunk = new byte[4 + n];
        P2p.WebRtc.Sctp.Chunks.ReConfigChunk.Write(chunk, parameter.AsSpan(0, n));
        var packet = new byte[12 + chunk.Length];
        new P2p.WebRtc.Sctp.Packets.SctpCommonHeader(5000, 5000, tag).Write(packet);
        chunk.CopyTo(packet, 12);
        P2p.WebRtc.Sctp.Packets.Crc32c.Stamp(packet);
        return packet;
    }
}
