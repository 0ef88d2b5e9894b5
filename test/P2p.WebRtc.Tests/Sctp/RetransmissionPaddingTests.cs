using P2p.WebRtc.Sctp;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

/// <summary>
/// Retransmitted DATA bundled up to a packet size that is not a multiple of 4 (over DTLS the packet is 1,163 bytes): a
/// chunk whose unpadded length fits but whose padding does not must wait for the next packet. It once went in, and
/// writing its padding ran past the packet (ArgumentOutOfRangeException, the association aborted; seen in CI).
/// </summary>
public class RetransmissionPaddingTests
{
    [Test]
    public void Small_messages_of_odd_sizes_retransmitted_in_bundles_fit_a_packet_size_that_is_not_a_multiple_of_4()
    {
        var options = SctpTestUtil.Options() with { MaxPacketSize = 1163 };
        var sim = new SctpSimulation(options, options);
        sim.ConnectBoth();
        sim.Tamper = (fromA, packet) => fromA ? null : packet; // A → B dead: everything A sends waits for retransmission
        const int count = 300;
        for (var i = 0; i < count; i++)
        {
            sim.A.SendOk(sim, 1, 53, SctpTestUtil.Payload(1 + (i % 13), i));
        }

        sim.RunFor(TimeSpan.FromSeconds(3.5));
        var largest = 0;
        sim.Tamper = (fromA, packet) =>
        {
            largest = Math.Max(largest, packet.Length);
            return packet;
        };
        sim.A.HandlePathChange(sim.Now); // every outstanding chunk goes out again at once, bundled

        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Count() == count, TimeSpan.FromSeconds(60)), Is.True,
            $"delivered {sim.EventsB.Messages().Count()} of {count}; A closed: {sim.EventsA.Closed()?.CloseInfo}");
        Assert.That(sim.EventsA.Closed(), Is.Null, "the association is still up");
        Assert.That(largest, Is.LessThanOrEqualTo(1163), "no packet ran past the packet size (over DTLS the record would not hold it)");
    }
}
