using P2p.WebRtc.Sctp;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

/// <summary>PR-SCTP (RFC 3758): abandoned messages, FORWARD TSN, and the receiver moving on.</summary>
public class PartialReliabilityTests
{
    [Test]
    public void Max_retransmits_zero_under_loss_abandons_lost_messages_others_arrive_intact_and_in_order()
    {
        var link = new SimulatedLink { Loss = 0.1, Reorder = 0.05 };
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options(), link, link, seed: 7);
        sim.ConnectBoth(TimeSpan.FromMinutes(5));
        var payloads = Enumerable.Range(0, 500).Select(i => SctpTestUtil.Payload(3000, i)).ToList();
        foreach (var p in payloads)
        {
            sim.A.SendOk(sim, 2, 53, p, new SctpSendOptions { MaxRetransmits = 0 });
        }

        // A reliable marker afterwards on the same stream: it arrives only if the receiver moved past every gap.
        sim.A.SendOk(sim, 2, 51, [0xEE]);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(m => m.Ppid == 51), TimeSpan.FromMinutes(10)), Is.True);
        var got = sim.EventsB.Messages().Where(m => m.Ppid == 53).Select(m => SctpTestUtil.Sha(m.Payload.Span)).ToList();
        var expectedOrder = payloads.Select(p => SctpTestUtil.Sha(p)).Where(got.Contains).ToList();
        Assert.That(got, Is.EqualTo(expectedOrder), "delivered messages are intact, unique and in order");
        Assert.That(got.Count, Is.LessThan(500).And.GreaterThan(300));
        var a = sim.A.GetMetrics();
        Assert.That(a.MessagesAbandoned, Is.GreaterThan(0));
        Assert.That(a.ForwardTsnsSent, Is.GreaterThan(0));
        Assert.That(sim.B.GetMetrics().ForwardTsnsReceived, Is.GreaterThan(0));
        // A message can be abandoned after it in fact arrived (its SACK was lost), never lost without being abandoned.
        Assert.That(got.Count, Is.GreaterThanOrEqualTo(500 - a.MessagesAbandoned), "every message delivered or abandoned");
        Assert.That(got.Distinct().Count(), Is.EqualTo(got.Count), "no duplicates");
    }

    [Test]
    public void Max_retransmits_zero_unordered_abandons_and_delivers_the_rest()
    {
        var link = new SimulatedLink { Loss = 0.1 };
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options(), link, link, seed: 3);
        sim.ConnectBoth(TimeSpan.FromMinutes(5));
        for (var i = 0; i < 300; i++)
        {
            sim.A.SendOk(sim, 1, 53, SctpTestUtil.Payload(100_000 + i, i), new SctpSendOptions { MaxRetransmits = 0, Unordered = true });
        }

        sim.A.SendOk(sim, 1, 51, [1], new SctpSendOptions { Unordered = true });
        Assert.That(sim.RunUntil(() => sim.A.GetMetrics().BytesInFlight == 0 && sim.A.TotalBufferedAmount == 0 && sim.EventsB.Messages().Any(m => m.Ppid == 51), TimeSpan.FromMinutes(10)), Is.True);
        var got = sim.EventsB.Messages().Where(m => m.Ppid == 53).ToList();
        foreach (var m in got)
        {
            var i = m.Payload.Length - 100_000;
            Assert.That(SctpTestUtil.Sha(m.Payload.Span), Is.EqualTo(SctpTestUtil.Sha(SctpTestUtil.Payload(100_000 + i, i))));
        }

        Assert.That(got.Select(m => m.Payload.Length).Distinct().Count(), Is.EqualTo(got.Count), "no duplicates");
        Assert.That(sim.A.GetMetrics().MessagesAbandoned, Is.GreaterThan(0));
    }

    [Test]
    public void Lifetime_expired_before_sending_is_dropped_unsent()
    {
        // A 1 ms lifetime behind a large reliable message that takes longer than that to send.
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options(), new SimulatedLink { BytesPerSecond = 1e6 });
        sim.ConnectBoth();
        sim.A.SendOk(sim, 0, 53, new byte[200_000]);
        sim.A.SendOk(sim, 0, 53, [1, 2, 3], new SctpSendOptions { MaxLifetime = TimeSpan.FromMilliseconds(1) });
        sim.A.SendOk(sim, 0, 51, [4]);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Count() == 2, TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(sim.EventsB.Messages().Select(m => m.Payload.Length), Is.EqualTo(new[] { 200_000, 1 }));
        Assert.That(sim.A.GetMetrics().MessagesAbandoned, Is.EqualTo(1));
    }

    [Test]
    public void Lifetime_expiring_in_flight_is_abandoned_and_forward_tsn_skips_it()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options());
        sim.ConnectBoth();
        var dropData = true;
        // Drop every DATA packet for a while: the message cannot arrive before its lifetime ends.
        sim.Tamper = (fromA, p) => fromA && dropData && p.Length > 16 && p[12] == 0 ? null : p;
        sim.A.SendOk(sim, 5, 53, new byte[5000], new SctpSendOptions { MaxLifetime = TimeSpan.FromMilliseconds(500) });
        sim.RunFor(TimeSpan.FromSeconds(3));
        dropData = false;
        sim.A.SendOk(sim, 5, 51, [9]);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(), TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(sim.EventsB.Messages().Single().Ppid, Is.EqualTo(51u));
        var a = sim.A.GetMetrics();
        Assert.That(a.MessagesAbandoned, Is.EqualTo(1));
        Assert.That(a.ForwardTsnsSent, Is.GreaterThan(0));
        Assert.That(sim.RunUntil(() => sim.A.GetMetrics().BytesInFlight == 0 && sim.B.GetMetrics().ReceiveBufferedBytes == 0, TimeSpan.FromSeconds(30)), Is.True);
    }

    [Test]
    public void Peer_without_pr_sctp_partially_reliable_messages_are_sent_reliably()
    {
        // Strip Forward-TSN-Supported and Supported Extensions from B's INIT / INIT ACK.
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options());
        sim.Tamper = (fromA, p) => fromA ? p : StripExtensions(p);
        sim.A.Connect(sim.Now);
        Assert.That(sim.RunUntil(() => sim.A.State == SctpAssociationState.Established, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(sim.A.PeerSupportsPartialReliability, Is.False);
        Assert.That(sim.A.PeerSupportsStreamReset, Is.False);
        Assert.Throws<InvalidOperationException>(() => sim.A.ResetStreams([1]));
        var lossy = 0;
        sim.Tamper = (fromA, p) => fromA && p.Length > 16 && p[12] == 0 && lossy++ % 3 == 0 ? null : p;
        for (var i = 0; i < 20; i++)
        {
            sim.A.SendOk(sim, 0, 53, SctpTestUtil.Payload(1000, i), new SctpSendOptions { MaxRetransmits = 0 });
        }

        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Count() == 20, TimeSpan.FromMinutes(1)), Is.True);
        Assert.That(sim.A.GetMetrics().MessagesAbandoned, Is.Zero);
    }

    /// <summary>Removes the extension parameters from an INIT ACK (B's answer), re-stamping the checksum.</summary>
    private static byte[] StripExtensions(byte[] packet)
    {
        if (packet.Length < 32 || packet[12] != 2)
        {
            return packet;
        }

        var chunkLength = (packet[14] << 8) | packet[15];
        var output = new List<byte>(packet[..32]);
        var pos = 32;
        while (pos + 4 <= 12 + chunkLength)
        {
            var type = (packet[pos] << 8) | packet[pos + 1];
            var len = (packet[pos + 2] << 8) | packet[pos + 3];
            var padded = (len + 3) & ~3;
            if (type != 0x8008 && type != 0xC000)
            {
                output.AddRange(packet[pos..Math.Min(packet.Length, pos + padded)]);
            }

            pos += padded;
        }

        var result = output.ToArray();
        var newLength = result.Length - 12;
        result[14] = (byte)(newLength >> 8);
        result[15] = (byte)newLength;
        P2p.WebRtc.Sctp.Packets.Crc32c.Stamp(result);
        return result;
    }
}
