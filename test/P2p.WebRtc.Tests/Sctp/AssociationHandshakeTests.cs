using P2p.WebRtc.Sctp;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

public class AssociationHandshakeTests
{
    [Test]
    public void Active_open_passive_peer_both_established()
    {
        var sim = new SctpSimulation();
        sim.A.Connect(sim.Now);
        Assert.That(sim.RunUntil(() => sim.A.State == SctpAssociationState.Established && sim.B.State == SctpAssociationState.Established, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(sim.EventsA.Count(e => e.Type == SctpEventType.Connected), Is.EqualTo(1));
        Assert.That(sim.EventsB.Count(e => e.Type == SctpEventType.Connected), Is.EqualTo(1));
        Assert.That(sim.A.PeerSupportsPartialReliability && sim.A.PeerSupportsStreamReset, Is.True);
        Assert.That(sim.B.PeerSupportsPartialReliability && sim.B.PeerSupportsStreamReset, Is.True);
    }

    [Test]
    public void Init_collision_both_connect_at_once_both_established_once()
    {
        var sim = new SctpSimulation();
        sim.ConnectBoth();
        Assert.That(sim.EventsA.Count(e => e.Type == SctpEventType.Connected), Is.EqualTo(1));
        Assert.That(sim.EventsB.Count(e => e.Type == SctpEventType.Connected), Is.EqualTo(1));
        sim.A.SendOk(sim, 1, 51, [1, 2, 3]);
        sim.B.SendOk(sim, 1, 51, [4, 5]);
        Assert.That(sim.RunUntil(() => sim.EventsA.Messages().Any() && sim.EventsB.Messages().Any(), TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(sim.EventsB.Messages().Single().Payload.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(sim.EventsA.Messages().Single().Payload.ToArray(), Is.EqualTo(new byte[] { 4, 5 }));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    public void Init_collision_with_loss_and_reordering_establishes(int seed)
    {
        var link = new SimulatedLink { Loss = 0.3, Reorder = 0.5, Duplicate = 0.2 };
        var sim = new SctpSimulation(aToB: link, bToA: link, seed: seed);
        sim.ConnectBoth(TimeSpan.FromMinutes(10));
        sim.A.SendOk(sim, 0, 53, [9]);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(), TimeSpan.FromMinutes(5)), Is.True);
    }

    [Test]
    public void Lost_init_is_retransmitted_by_T1()
    {
        var dropped = 0;
        var sim = new SctpSimulation();
        sim.Tamper = (fromA, p) => fromA && dropped++ < 2 ? null : p;
        sim.A.Connect(sim.Now);
        Assert.That(sim.RunUntil(() => sim.A.State == SctpAssociationState.Established, TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(sim.Now, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(3)), "1 s + 2 s of T1-init back-off");
    }

    [Test]
    public void No_peer_connect_times_out_after_max_init_retransmits()
    {
        var sim = new SctpSimulation(new SctpOptions { MaxInitRetransmissions = 3, RtoMax = TimeSpan.FromSeconds(4) });
        sim.Tamper = (_, _) => null;
        sim.A.Connect(sim.Now);
        Assert.That(sim.RunUntil(() => sim.A.IsClosed, TimeSpan.FromMinutes(5)), Is.True);
        Assert.That(sim.EventsA.Closed()!.Value.CloseInfo!.Reason, Is.EqualTo(SctpCloseReason.ConnectTimeout));
    }

    [Test]
    public void Tampered_cookie_is_ignored_and_legitimate_retransmission_still_connects()
    {
        var tampered = false;
        var sim = new SctpSimulation();
        sim.Tamper = (fromA, p) =>
        {
            // Flip a byte inside the first COOKIE ECHO and fix the checksum: a forged cookie.
            if (fromA && !tampered && p.Length > 16 && p[12] == 10)
            {
                tampered = true;
                var copy = (byte[])p.Clone();
                copy[30] ^= 0xFF;
                P2p.WebRtc.Sctp.Packets.Crc32c.Stamp(copy);
                return copy;
            }

            return p;
        };
        sim.A.Connect(sim.Now);
        Assert.That(sim.RunUntil(() => sim.A.State == SctpAssociationState.Established, TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(tampered, Is.True);
        Assert.That(sim.B.GetMetrics().PacketsDropped, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void Wrong_ports_are_dropped()
    {
        var sim = new SctpSimulation(new SctpOptions { LocalPort = 5000, RemotePort = 5001 }, new SctpOptions { LocalPort = 5000, RemotePort = 5000 });
        sim.A.Connect(sim.Now);
        sim.RunFor(TimeSpan.FromSeconds(2));
        Assert.That(sim.B.State, Is.EqualTo(SctpAssociationState.Closed));
        Assert.That(sim.B.GetMetrics().PacketsDropped, Is.GreaterThan(0));
    }

    [Test]
    public void Custom_ports_connect()
    {
        var sim = new SctpSimulation(new SctpOptions { LocalPort = 5001, RemotePort = 6000 }, new SctpOptions { LocalPort = 6000, RemotePort = 5001 });
        sim.ConnectBoth();
        Assert.That(sim.A.State, Is.EqualTo(SctpAssociationState.Established));
    }
}
