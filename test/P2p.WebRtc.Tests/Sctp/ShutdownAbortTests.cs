using P2p.WebRtc.Sctp;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

public class ShutdownAbortTests
{
    [Test]
    public void Shutdown_delivers_queued_data_then_closes_both_sides_gracefully()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options(), new SimulatedLink { Loss = 0.05 }, seed: 4);
        sim.ConnectBoth();
        var payload = SctpTestUtil.Payload(2_000_000, 1);
        sim.A.SendOk(sim, 0, 53, payload);
        sim.A.Shutdown(sim.Now);
        Assert.That(sim.A.Send(0, 53, [1], default, sim.Now), Is.EqualTo(SctpSendStatus.ErrorShuttingDown));
        Assert.That(sim.RunUntil(() => sim.A.IsClosed && sim.B.IsClosed, TimeSpan.FromMinutes(5)), Is.True);
        Assert.That(SctpTestUtil.Sha(sim.EventsB.Messages().Single().Payload.Span), Is.EqualTo(SctpTestUtil.Sha(payload)));
        Assert.That(sim.EventsA.Closed()!.Value.CloseInfo!.IsGraceful, Is.True);
        Assert.That(sim.EventsB.Closed()!.Value.CloseInfo!.IsGraceful, Is.True);
        Assert.That(sim.A.NextTimeout, Is.Null);
        Assert.That(sim.B.NextTimeout, Is.Null);
    }

    [Test]
    public void Shutdown_by_both_sides_at_once_closes()
    {
        var sim = new SctpSimulation();
        sim.ConnectBoth();
        sim.A.Shutdown(sim.Now);
        sim.B.Shutdown(sim.Now);
        Assert.That(sim.RunUntil(() => sim.A.IsClosed && sim.B.IsClosed, TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(sim.EventsA.Closed()!.Value.CloseInfo!.Reason, Is.EqualTo(SctpCloseReason.Shutdown));
        Assert.That(sim.EventsB.Closed()!.Value.CloseInfo!.Reason, Is.EqualTo(SctpCloseReason.Shutdown));
    }

    [Test]
    public void Shutdown_with_lost_shutdown_chunks_is_retransmitted_by_T2()
    {
        var sim = new SctpSimulation();
        sim.ConnectBoth();
        var dropped = 0;
        sim.Tamper = (fromA, p) => p.Length >= 16 && (p[12] == 7 || p[12] == 8) && dropped++ < 3 ? null : p;
        sim.A.Shutdown(sim.Now);
        Assert.That(sim.RunUntil(() => sim.A.IsClosed && sim.B.IsClosed, TimeSpan.FromMinutes(1)), Is.True);
        Assert.That(dropped, Is.GreaterThanOrEqualTo(3));
    }

    [Test]
    public void Abort_reports_the_reason_to_the_peer()
    {
        var sim = new SctpSimulation();
        sim.ConnectBoth();
        sim.A.SendOk(sim, 0, 53, new byte[100_000]);
        sim.A.Abort("going away", sim.Now);
        Assert.That(sim.A.IsClosed, Is.True);
        Assert.That(sim.A.TotalBufferedAmount, Is.Zero);
        Assert.That(sim.RunUntil(() => sim.B.IsClosed, TimeSpan.FromSeconds(5)), Is.True);
        var info = sim.EventsB.Closed()!.Value.CloseInfo!;
        Assert.That(info.Reason, Is.EqualTo(SctpCloseReason.PeerAbort));
        Assert.That(info.ErrorCause, Is.EqualTo(SctpErrorCauseCode.UserInitiatedAbort));
        Assert.That(info.Message, Does.Contain("going away"));
        Assert.That(sim.EventsA.Closed()!.Value.CloseInfo!.Reason, Is.EqualTo(SctpCloseReason.LocalAbort));
        Assert.That(sim.EventsA.Count(e => e.Type == SctpEventType.Closed), Is.EqualTo(1));
    }

    [Test]
    public void Unreachable_peer_rto_backs_off_and_max_retransmissions_fails_the_association()
    {
        var options = new SctpOptions { MaxRetransmissions = 4, RtoInitial = TimeSpan.FromSeconds(1), RtoMin = TimeSpan.FromSeconds(1), RtoMax = TimeSpan.FromSeconds(60) };
        var sim = new SctpSimulation(options, options);
        sim.ConnectBoth();
        var start = sim.Now;
        sim.Tamper = (_, _) => null; // the network goes away
        sim.A.SendOk(sim, 0, 53, [1]);
        Assert.That(sim.RunUntil(() => sim.A.IsClosed, TimeSpan.FromMinutes(10)), Is.True);
        var m = sim.A.GetMetrics();
        Assert.That(sim.EventsA.Closed()!.Value.CloseInfo!.Reason, Is.EqualTo(SctpCloseReason.MaxRetransmissions));
        Assert.That(m.T3Expirations, Is.EqualTo(5));
        // Back-off: timeouts after 1, 2, 4, 8, 16 s (the RTO doubles each time) = 31 s.
        Assert.That((sim.Now - start).TotalSeconds, Is.EqualTo(31).Within(1.5));
    }

    [Test]
    public void Idle_association_heartbeats_detect_a_dead_peer()
    {
        var options = new SctpOptions { HeartbeatInterval = TimeSpan.FromSeconds(5), MaxRetransmissions = 3 };
        var sim = new SctpSimulation(options, options);
        sim.ConnectBoth();
        sim.RunFor(TimeSpan.FromSeconds(30));
        Assert.That(sim.A.IsClosed || sim.B.IsClosed, Is.False, "heartbeats answered keep it up");
        Assert.That(sim.A.GetMetrics().SmoothedRtt, Is.Not.Null);
        sim.Tamper = (_, _) => null;
        Assert.That(sim.RunUntil(() => sim.A.IsClosed, TimeSpan.FromMinutes(10)), Is.True);
        Assert.That(sim.EventsA.Closed()!.Value.CloseInfo!.Reason, Is.EqualTo(SctpCloseReason.MaxRetransmissions));
    }

    [Test]
    public void Closed_association_ignores_everything()
    {
        var sim = new SctpSimulation();
        sim.ConnectBoth();
        sim.A.Abort(null, sim.Now);
        sim.RunFor(TimeSpan.FromSeconds(1));
        var before = sim.A.GetMetrics().PacketsDropped;
        foreach (var p in sim.SentByA)
        {
            sim.Inject(false, p);
        }

        Assert.That(sim.A.GetMetrics().PacketsDropped, Is.GreaterThan(before));
        Assert.That(sim.A.Send(0, 1, [1], default, sim.Now), Is.EqualTo(SctpSendStatus.ErrorShuttingDown));
        Assert.That(sim.EventsA.Count(e => e.Type == SctpEventType.Closed), Is.EqualTo(1));
    }
}
