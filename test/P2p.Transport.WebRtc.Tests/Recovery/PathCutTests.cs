using System.Text;
using P2p.Core;

namespace P2p.Transport.WebRtc.Tests.Recovery;

/// <summary>
/// A member's network path cut and restored while signaling stays up: the others report it
/// <see cref="PeerState.Interrupted"/> within the interruption timeout, ICE restarts restore the same connection once
/// the path is back (no leave, no join), and a message sent during the cut arrives.
/// </summary>
[TestFixture]
public class PathCutTests : RecoveryTestBase
{
    [Test]
    [CancelAfter(180_000)]
    public async Task A_cut_path_is_reported_interrupted_within_three_seconds_and_recovers_without_a_leave_five_times(CancellationToken ct)
    {
        var defaults = new P2pOptions();
        await using var mesh = await VirtualMesh.StartAsync(Logging);
        var a = await mesh.AddMemberAsync(ct);
        var b = await mesh.AddMemberAsync(ct);
        var c = await mesh.AddMemberAsync(ct);
        await mesh.WhenAllConnectedAsync(Generous, ct);

        var detections = new List<double>();
        var recoveries = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            var cutAt = mesh.Clock.Elapsed;
            b.VirtualHost.Link.Cut();
            var seenByA = await a.WaitForStateAsync(b.Id, PeerState.Interrupted, cutAt, Generous, ct);
            var seenByC = await c.WaitForStateAsync(b.Id, PeerState.Interrupted, cutAt, Generous, ct);
            var seenByB = await b.WaitForStateAsync(a.Id, PeerState.Interrupted, cutAt, Generous, ct);
            detections.AddRange([(seenByA - cutAt).TotalSeconds, (seenByC - cutAt).TotalSeconds, (seenByB - cutAt).TotalSeconds]);

            // Sent during the cut: waits in the connection, arrives after the recovery.
            var text = $"during cut {round}";
            var result = await a.Group.BroadcastAsync(Encoding.UTF8.GetBytes(text), ct);
            Assert.That(result.Failed, Is.Empty, "an interrupted member still takes messages");

            var restoredAt = mesh.Clock.Elapsed;
            b.VirtualHost.Link.Restore();
            var backAtA = await a.WaitForStateAsync(b.Id, PeerState.Connected, restoredAt, Generous, ct);
            var backAtB = await b.WaitForStateAsync(a.Id, PeerState.Connected, restoredAt, Generous, ct);
            await c.WaitForStateAsync(b.Id, PeerState.Connected, restoredAt, Generous, ct);
            recoveries.AddRange([(backAtA - restoredAt).TotalSeconds, (backAtB - restoredAt).TotalSeconds]);
            await b.UntilAsync<bool>(() => b.Received.Contains($"{a.Id}:{text}") ? true : null, "the message sent during the cut", Generous, ct);
        }

        TestContext.Out.WriteLine($"interrupted after cut (s): median {Median(detections):0.00}, worst {detections.Max():0.00} of {detections.Count}");
        TestContext.Out.WriteLine($"connected after restore (s): median {Median(recoveries):0.00}, worst {recoveries.Max():0.00} of {recoveries.Count}");
        Assert.That(detections.Max(), Is.LessThanOrEqualTo(3.0), "the default interruption timeout is 2.5 s: reported within 3 s");
        Assert.That(recoveries.Max(), Is.LessThan(defaults.RecoveryTimeout.TotalSeconds));
        Assert.That(mesh.Members.SelectMany(m => m.Left), Is.Empty, "nobody left");
        Assert.That(mesh.Members.SelectMany(m => m.States).Where(s => s.State == PeerState.Failed), Is.Empty, "nobody failed");
        Assert.That(a.Group.Members.Single(p => p.Id == b.Id).State, Is.EqualTo(PeerState.Connected));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_path_that_stays_cut_fails_after_the_recovery_timeout_and_reconnects_once_it_returns(CancellationToken ct)
    {
        var service = new P2pOptions { LoggerFactory = Logging, RecoveryTimeout = TimeSpan.FromSeconds(6), RetryInitialDelay = TimeSpan.FromMilliseconds(200) };
        await using var mesh = await VirtualMesh.StartAsync(Logging, service);
        var a = await mesh.AddMemberAsync(ct);
        var b = await mesh.AddMemberAsync(ct);
        await mesh.WhenAllConnectedAsync(Generous, ct);

        var cutAt = mesh.Clock.Elapsed;
        b.VirtualHost.Link.Cut();
        var interrupted = await a.WaitForStateAsync(b.Id, PeerState.Interrupted, cutAt, Generous, ct);
        var failed = await a.WaitForStateAsync(b.Id, PeerState.Failed, cutAt, Generous, ct);
        TestContext.Out.WriteLine($"interrupted {(interrupted - cutAt).TotalSeconds:0.00} s, failed {(failed - cutAt).TotalSeconds:0.00} s after the cut");
        Assert.That(failed - interrupted, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(5.9)).And.LessThan(TimeSpan.FromSeconds(8)));
        Assert.That(a.Group.Members.Single(p => p.Id == b.Id).LastError, Is.TypeOf<TimeoutException>());

        var restoredAt = mesh.Clock.Elapsed;
        b.VirtualHost.Link.Restore();
        await a.WaitForStateAsync(b.Id, PeerState.Connected, restoredAt, Generous, ct);
        var reply = await a.Group.UnicastAsync(b.Id, new byte[] { 7 }, ct);
        Assert.That(reply.ToArray(), Is.EqualTo(new byte[] { 7 }));
        Assert.That(mesh.Members.SelectMany(m => m.Left), Is.Empty, "a failed member stays in the group");
    }
}
