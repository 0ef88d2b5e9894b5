using P2p.WebRtc.Sctp;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

/// <summary>
/// 16 MiB in 64 KiB messages through a simulated network under a virtual clock: every message must
/// arrive exactly once, intact, and in order on ordered streams; the transfer must never stall.
/// </summary>
public class LossyNetworkTests
{
    private const int MessageSize = 64 * 1024;
    private const int MessageCount = 256; // 16 MiB

    public static IEnumerable<TestCaseData> Networks()
    {
        yield return new TestCaseData(new SimulatedLink { Loss = 0.05, Duplicate = 0.01, Reorder = 0.05 }, 10).SetName("Loss5_Dup1_Reorder5");
        yield return new TestCaseData(new SimulatedLink { Loss = 0.05, Duplicate = 0.01, Reorder = 0.05, BytesPerSecond = 20e6, MaxQueueDelay = TimeSpan.FromMilliseconds(20), Latency = TimeSpan.FromMilliseconds(10) }, 10).SetName("Loss5_Bottleneck20MBps_Rtt20ms");
        yield return new TestCaseData(new SimulatedLink { BurstEnter = 0.01, BurstDuration = TimeSpan.FromMilliseconds(10), BurstLoss = 0.9, Reorder = 0.02, BytesPerSecond = 50e6 }, 10).SetName("BurstLoss");
        yield return new TestCaseData(new SimulatedLink { Loss = 0.01, Reorder = 0.3, ReorderDelay = TimeSpan.FromMilliseconds(20), Duplicate = 0.05 }, 10).SetName("HeavyReorder");
        yield return new TestCaseData(new SimulatedLink { Loss = 0.3, Duplicate = 0.01, Reorder = 0.05 }, 40).SetName("Loss30");
    }

    [TestCaseSource(nameof(Networks))]
    public void Sixteen_mebibytes_arrive_complete_in_order_intact(SimulatedLink link, int maxRetransmissions)
    {
        var options = SctpTestUtil.Options() with { MaxRetransmissions = maxRetransmissions, RtoMax = TimeSpan.FromSeconds(10) };
        var sim = new SctpSimulation(options, options, link, link, seed: 42);
        sim.ConnectBoth(TimeSpan.FromMinutes(10));

        var sent = new Dictionary<ushort, List<string>>();
        for (var i = 0; i < MessageCount; i++)
        {
            var stream = (ushort)(i % 4);
            var payload = SctpTestUtil.Payload(MessageSize, i);
            sim.A.SendOk(sim, stream, 53, payload, new SctpSendOptions { Unordered = stream == 3 });
            (sent.TryGetValue(stream, out var l) ? l : sent[stream] = []).Add(SctpTestUtil.Sha(payload));
        }

        var received = 0;
        sim.OnEvent = (fromA, e) =>
        {
            if (!fromA && e.Type == SctpEventType.MessageReceived)
            {
                received++;
            }
        };
        Assert.That(sim.RunUntil(() => received == MessageCount, TimeSpan.FromHours(2)), Is.True,
            $"stalled at {received}/{MessageCount} messages, t={sim.Now}, A={sim.A.GetMetrics()}, B={sim.B.GetMetrics()}");
        Assert.That(sim.A.IsClosed || sim.B.IsClosed, Is.False);

        var messages = sim.EventsB.Messages().ToList();
        Assert.That(messages, Has.Count.EqualTo(MessageCount));
        for (ushort stream = 0; stream < 4; stream++)
        {
            var got = messages.Where(m => m.StreamId == stream).Select(m => SctpTestUtil.Sha(m.Payload.Span)).ToList();
            if (stream == 3)
            {
                Assert.That(got, Is.EquivalentTo(sent[stream]));
            }
            else
            {
                Assert.That(got, Is.EqualTo(sent[stream]), $"stream {stream} out of order or corrupted");
            }
        }

        var a = sim.A.GetMetrics();
        var b = sim.B.GetMetrics();
        TestContext.Out.WriteLine($"virtual {sim.Now}, dropped {sim.Dropped(true)}/{sim.Dropped(false)}, A: {a}");
        TestContext.Out.WriteLine($"B: {b}");
        if (link.Loss > 0 || link.BurstEnter > 0)
        {
            Assert.That(a.DataChunksRetransmitted, Is.GreaterThan(0));
            Assert.That(a.FastRetransmits, Is.GreaterThan(0), "fast retransmit exercised");
        }

        if (link.Loss >= 0.3)
        {
            Assert.That(a.T3Expirations, Is.GreaterThan(0), "T3-rtx exercised");
        }

        if (link.Duplicate > 0)
        {
            Assert.That(b.DuplicateTsnsReceived, Is.GreaterThan(0));
        }
    }

    [Test]
    public void Tail_loss_is_recovered_by_T3()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options());
        sim.ConnectBoth();
        var drop = true;
        sim.Tamper = (fromA, p) =>
        {
            // Drop the only DATA packet once: nothing follows it, so only T3-rtx can recover it.
            if (fromA && drop && p.Length > 16 && p[12] == 0)
            {
                drop = false;
                return null;
            }

            return p;
        };
        sim.A.SendOk(sim, 0, 53, [1, 2, 3]);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(), TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(sim.A.GetMetrics().T3Expirations, Is.EqualTo(1));
        Assert.That(sim.A.GetMetrics().FastRetransmits, Is.Zero);
        Assert.That(sim.Now, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)), "RTO.Initial before any RTT measurement");
    }

    [Test]
    public void Single_loss_in_a_burst_is_recovered_by_fast_retransmit_without_T3()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options());
        sim.ConnectBoth();
        var dataPackets = 0;
        sim.Tamper = (fromA, p) => fromA && p.Length > 16 && p[12] == 0 && ++dataPackets == 3 ? null : p;
        for (var i = 0; i < 20; i++)
        {
            sim.A.SendOk(sim, 0, 53, SctpTestUtil.Payload(1000, i));
        }

        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Count() == 20, TimeSpan.FromSeconds(10)), Is.True);
        var m = sim.A.GetMetrics();
        Assert.That(m.FastRetransmits, Is.EqualTo(1));
        Assert.That(m.T3Expirations, Is.Zero);
        Assert.That(m.DataChunksRetransmitted, Is.EqualTo(1));
        Assert.That(sim.Now, Is.LessThan(TimeSpan.FromMilliseconds(200)), "recovered within a few RTTs, not an RTO");
    }
}
