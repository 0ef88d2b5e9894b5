using P2p.WebRtc.Sctp;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

/// <summary>
/// <see cref="SctpAssociation.HandlePathChange"/>: when ICE moves the path (e.g. an ICE restart after the old path
/// died), outstanding DATA goes out at once with the RTO back at RTO.Initial instead of after a backed-off T3-rtx.
/// </summary>
public class PathChangeTests
{
    [Test]
    public void A_path_change_retransmits_outstanding_data_at_once_with_the_initial_rto()
    {
        var (sim, payload) = DeadPathWithOutstandingData();
        var backedOff = sim.A.GetMetrics().Rto;
        Assert.That(backedOff, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(8)), "T3-rtx backed off while the path was dead");

        sim.Tamper = null; // the new path works
        var changedAt = sim.Now;
        var marked = sim.A.HandlePathChange(sim.Now);
        Assert.That(marked, Is.Positive);
        Assert.That(sim.A.GetMetrics().Rto, Is.EqualTo(new SctpOptions().RtoInitial), "RFC 9260 §6.3.1 C1: RTO.Initial on the new path");
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(), TimeSpan.FromSeconds(30)), Is.True);
        var after = sim.Now - changedAt;
        TestContext.Out.WriteLine($"delivered {after.TotalMilliseconds:0} ms after the path change (the backed-off RTO was {backedOff.TotalSeconds:0.#} s)");
        Assert.Multiple(() =>
        {
            Assert.That(after, Is.LessThan(TimeSpan.FromMilliseconds(50)), "one round trip, not a timer");
            Assert.That(SctpTestUtil.Sha(sim.EventsB.Messages().Single().Payload.Span), Is.EqualTo(SctpTestUtil.Sha(payload)));
        });
    }

    [Test]
    public void Without_a_path_change_the_data_waits_for_the_backed_off_timer()
    {
        var (sim, _) = DeadPathWithOutstandingData();
        sim.Tamper = null;
        var restoredAt = sim.Now;
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(), TimeSpan.FromSeconds(60)), Is.True);
        Assert.That(sim.Now - restoredAt, Is.GreaterThan(TimeSpan.FromSeconds(1)), "the control case: a path change is what makes it prompt");
    }

    [Test]
    public void A_path_change_with_nothing_outstanding_only_resets_the_rto()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options());
        sim.ConnectBoth();
        Assert.That(sim.A.HandlePathChange(sim.Now), Is.Zero);
        Assert.That(sim.A.GetMetrics().Rto, Is.EqualTo(new SctpOptions().RtoInitial));
    }

    /// <summary>Connected, then A → B dies; a message waits in flight through three T3-rtx expiries (1 + 2 + 4 s).</summary>
    private static (SctpSimulation Sim, byte[] Payload) DeadPathWithOutstandingData()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options());
        sim.ConnectBoth();
        sim.Tamper = (fromA, packet) => fromA ? null : packet;
        var payload = SctpTestUtil.Payload(1000, 7); // one chunk: after the time-outs cwnd is one MTU
        sim.A.SendOk(sim, 1, 53, payload);
        sim.RunFor(TimeSpan.FromSeconds(7.5));
        Assert.That(sim.EventsB.Messages(), Is.Empty);
        return (sim, payload);
    }
}
