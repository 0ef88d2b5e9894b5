using System.Text;
using P2p.Core;

namespace P2p.Transport.WebRtc.Tests.Recovery;

/// <summary>
/// The signaling server stopped and started again (same port, same resume key): the mesh carries broadcasts and
/// requests throughout, every member resumes its user id and memberships, nobody sees a leave, and a newcomer joins
/// the group on the new server and connects to everyone.
/// </summary>
[TestFixture]
public class SignalingOutageTests : RecoveryTestBase
{
    [Test]
    [CancelAfter(180_000)]
    public async Task The_mesh_rides_out_a_signaling_server_restart_five_times_and_a_newcomer_joins_afterwards(CancellationToken ct)
    {
        await using var mesh = await VirtualMesh.StartAsync(Logging);
        var a = await mesh.AddMemberAsync(ct);
        var b = await mesh.AddMemberAsync(ct);
        var c = await mesh.AddMemberAsync(ct);
        await mesh.WhenAllConnectedAsync(Generous, ct);
        var ids = mesh.Members.Select(m => m.Id).ToArray();

        var resumes = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            await mesh.StopServerAsync();
            foreach (var member in mesh.Members)
            {
                await member.UntilAsync(() => member.SignalingEvents.Count(e => !e.Back) > round ? true : (bool?)null, "reconnecting", Generous, ct);
            }

            // Signaling is down; the mesh is not.
            var text = $"while signaling is down {round}";
            var result = await a.Group.BroadcastAsync(Encoding.UTF8.GetBytes(text), ct);
            Assert.That(result.Failed, Is.Empty);
            Assert.That((await b.Group.UnicastAsync(c.Id, new byte[] { (byte)round }, ct)).ToArray(), Is.EqualTo(new[] { (byte)round }));
            foreach (var receiver in new[] { b, c })
            {
                await receiver.UntilAsync(() => receiver.Received.Contains($"{a.Id}:{text}") ? true : (bool?)null, "the broadcast over the mesh", Generous, ct);
            }

            var startedAt = mesh.Clock.Elapsed;
            await mesh.StartServerAgainAsync();
            foreach (var member in mesh.Members)
            {
                var back = await member.UntilAsync(
                    () => member.SignalingEvents.Where(e => e.Back && e.At >= startedAt).Select(e => (TimeSpan?)e.At).FirstOrDefault(),
                    "reconnected",
                    Generous,
                    ct);
                resumes.Add((back - startedAt).TotalSeconds);
            }
        }

        Assert.That(mesh.Members.Select(m => m.Id), Is.EqualTo(ids), "every member kept its user id");
        var d = await mesh.AddMemberAsync(ct);
        await mesh.WhenAllConnectedAsync(Generous, ct);
        Assert.That(d.Group.Members.Select(p => p.Id), Is.EquivalentTo(ids));
        TestContext.Out.WriteLine($"server started → member resumed (s): median {Median(resumes):0.00}, worst {resumes.Max():0.00} of {resumes.Count}");
        Assert.That(mesh.Members.SelectMany(m => m.Left), Is.Empty, "nobody left");
        Assert.That(mesh.Members.SelectMany(m => m.States).Where(s => s.State is PeerState.Failed or PeerState.Interrupted), Is.Empty, "no link was disturbed");
    }
}
