using P2p.Core;

namespace P2p.Transport.WebRtc.Tests.Recovery;

/// <summary>
/// A member whose process is killed (samples/P2p.Chat, no leave, no close handshake): the others notice through their
/// links and the signaling server within 5 s, and the group goes on.
/// </summary>
[TestFixture]
public class KilledMemberTests : RecoveryTestBase
{
    [Test]
    [CancelAfter(240_000)]
    public async Task A_killed_member_is_reported_gone_within_five_seconds_five_times(CancellationToken ct)
    {
        await using var mesh = await VirtualMesh.StartAsync(Logging);
        var a = await mesh.AddMemberAsync(ct, loopback: true);
        var b = await mesh.AddMemberAsync(ct, loopback: true);
        await mesh.WhenAllConnectedAsync(Generous, ct);

        var detections = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            // The group's member list, not the event timeline: state events are raised in the background and may lag.
            var known = a.Group.Members.Select(p => p.Id).ToHashSet();
            using var chat = ChatProcess.Start("--server", mesh.Server.Uri.ToString(), "--loopback", "--group", a.Group.Id);
            await chat.WaitForLineAsync("joined group", ct);

            // The chat's own "you are" line waits for every member, killed ones of earlier rounds too: watch the group instead.
            await a.UntilAsync(() => a.Group.Members.Any(p => !known.Contains(p.Id)) ? true : (bool?)null, "the chat member in the group", Generous, ct);
            var id = a.Group.Members.First(p => !known.Contains(p.Id)).Id;
            await a.WaitForStateAsync(id, PeerState.Connected, TimeSpan.Zero, Generous, ct);
            await b.WaitForStateAsync(id, PeerState.Connected, TimeSpan.Zero, Generous, ct);

            var killedAt = mesh.Clock.Elapsed;
            chat.Kill();
            foreach (var member in new[] { a, b })
            {
                var gone = await member.UntilAsync(
                    () => member.Left.Where(l => l.Peer == id).Select(l => (TimeSpan?)l.At).FirstOrDefault()
                        ?? member.States.Where(s => s.Peer == id && s.At >= killedAt && s.State == PeerState.Failed).Select(s => (TimeSpan?)s.At).FirstOrDefault(),
                    $"{member.Id[..6]} to report the killed member gone",
                    Generous,
                    ct);
                detections.Add((gone - killedAt).TotalSeconds);
            }
        }

        TestContext.Out.WriteLine($"killed member reported failed or left after (s): median {Median(detections):0.00}, worst {detections.Max():0.00} of {detections.Count}");
        Assert.That(detections.Max(), Is.LessThanOrEqualTo(5.0));
        var reply = await a.Group.UnicastAsync(b.Id, new byte[] { 1 }, ct);
        Assert.That(reply.ToArray(), Is.EqualTo(new byte[] { 1 }), "the others still talk");
    }
}
