using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using P2p.Core;
using P2p.WebRtc.Testing.Network;

namespace P2p.Transport.WebRtc.Tests.Recovery;

/// <summary>
/// The transport's own measurements on P2p.Core's meter (docs/telemetry.md): <c>p2p.link.rtt</c> and
/// <c>p2p.link.retransmissions</c> from our SCTP association, over a lossy, delayed virtual link.
/// </summary>
[TestFixture]
public class LinkStatisticsTests : RecoveryTestBase
{
    [Test]
    [CancelAfter(120_000)]
    public async Task A_lossy_slow_link_shows_its_round_trip_time_and_retransmissions_on_the_meter(CancellationToken ct)
    {
        using var rtt = new MetricCollector<double>(null, P2pTelemetry.MeterName, "p2p.link.rtt");
        using var retransmissions = new MetricCollector<long>(null, P2pTelemetry.MeterName, "p2p.link.retransmissions");
        await using var mesh = await VirtualMesh.StartAsync(Logging);
        var a = await mesh.AddMemberAsync(ct);
        var b = await mesh.AddMemberAsync(ct);
        await mesh.WhenAllConnectedAsync(Generous, ct);
        var before = Observe(retransmissions);

        b.VirtualHost.Link.Conditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(15), Loss = 0.03 };
        var message = new byte[1024 * 1024];
        var echo = await a.Group.UnicastAsync(b.Id, message, ct); // about 900 DATA chunks each way
        Assert.That(echo.Length, Is.EqualTo(message.Length));

        var retransmitted = Observe(retransmissions) - before;

        // Sampled every 5 s: wait for a sample of this link (others' links in the process are on loopback, far quicker).
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(20));
        while (!rtt.GetMeasurementSnapshot().Any(m => m.Value >= 0.03))
        {
            await rtt.WaitForMeasurementsAsync(rtt.GetMeasurementSnapshot().Count + 1, deadline.Token);
        }

        var slowest = rtt.GetMeasurementSnapshot().Max(m => m.Value);
        TestContext.Out.WriteLine($"3 % loss, 15 ms each way on b's link: {retransmitted} retransmissions, smoothed RTT sampled up to {slowest * 1000:0} ms");
        Assert.Multiple(() =>
        {
            Assert.That(retransmitted, Is.GreaterThan(0), "lost chunks were retransmitted, and counted");
            Assert.That(slowest, Is.InRange(0.03, 2.0), "the 15 ms link is crossed once each way");
        });
    }

    private static long Observe(MetricCollector<long> counter)
    {
        counter.Clear();
        counter.RecordObservableInstruments();
        return counter.GetMeasurementSnapshot().Single().Value;
    }
}
