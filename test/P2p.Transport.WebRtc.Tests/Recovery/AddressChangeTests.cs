using System.Text;
using P2p.Core;

namespace P2p.Transport.WebRtc.Tests.Recovery;

/// <summary>
/// A member's host moves to another address (a DHCP renumbering, a move to another network) in the virtual network:
/// its links are reported interrupted, ICE restarts gather candidates on the new address, and the same connections
/// carry on — no leave, no join, nothing lost.
/// </summary>
[TestFixture]
public class AddressChangeTests : RecoveryTestBase
{
    [Test]
    [CancelAfter(180_000)]
    public async Task A_member_whose_address_changes_recovers_through_ICE_restarts_five_times(CancellationToken ct)
    {
        await using var mesh = await VirtualMesh.StartAsync(Logging);
        var a = await mesh.AddMemberAsync(ct);
        var b = await mesh.AddMemberAsync(ct); // offers to a: b restarts that link
        var c = await mesh.AddMemberAsync(ct); // offers to b: b asks c to restart that link
        await mesh.WhenAllConnectedAsync(Generous, ct);

        var detections = new List<double>();
        var recoveries = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            var movedAt = mesh.Clock.Elapsed;
            var address = b.VirtualHost.ChangeAddress(b.VirtualHost.Address);
            var text = $"after move {round}";
            var sent = await a.Group.BroadcastAsync(Encoding.UTF8.GetBytes(text), ct);
            Assert.That(sent.Failed, Is.Empty);

            // b's old address is gone: the broadcast can only arrive over a path found by an ICE restart. Who notices the
            // dead path first varies: often a restart restores a link before the other side's own deadline, so an
            // Interrupted report is counted when it comes, not required.
            var arrived = await b.UntilAsync(() => b.Received.Contains($"{a.Id}:{text}") ? mesh.Clock.Elapsed : (TimeSpan?)null, "the broadcast sent after the move", Generous, ct);
            recoveries.Add((arrived - movedAt).TotalSeconds);
            await b.UntilAsync(() => b.Group.Members.All(p => p.State == PeerState.Connected) ? true : (bool?)null, "b connected to everyone", Generous, ct);
            foreach (var observer in new[] { a, c })
            {
                await observer.UntilAsync(() => observer.Group.Members.All(p => p.State == PeerState.Connected) ? true : (bool?)null, "connected to everyone", Generous, ct);
                detections.AddRange(observer.States.Where(s => s.Peer == b.Id && s.State == PeerState.Interrupted && s.At >= movedAt).Take(1).Select(s => (s.At - movedAt).TotalSeconds));
            }

            TestContext.Out.WriteLine($"round {round}: b moved to {address}");
        }

        if (detections.Count > 0)
        {
            TestContext.Out.WriteLine($"address change → Interrupted reported (s): median {Median(detections):0.00}, worst {detections.Max():0.00} of {detections.Count} reports");
        }

        TestContext.Out.WriteLine($"address change → message delivered over the new path (s): median {Median(recoveries):0.00}, worst {recoveries.Max():0.00} of {recoveries.Count}");
        Assert.That(recoveries.Max(), Is.LessThan(new P2pOptions().RecoveryTimeout.TotalSeconds), "recovered before the recovery timeout");
        Assert.That(mesh.Members.SelectMany(m => m.Left), Is.Empty, "nobody left");
        Assert.That(mesh.Members.SelectMany(m => m.States).Where(s => s.State == PeerState.Failed), Is.Empty, "nobody failed");
        Assert.That((await c.Group.UnicastAsync(b.Id, new byte[] { 9 }, ct)).ToArray(), Is.EqualTo(new byte[] { 9 }));
    }
}
