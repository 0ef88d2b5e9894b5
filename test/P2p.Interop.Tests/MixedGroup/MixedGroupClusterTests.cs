using System.Text;
using P2p.Testing;

namespace P2p.Interop.Tests.BrowserClient.MixedGroup;

/// <summary>
/// One group whose members sit on two instances of the signaling server sharing a real Redis: a .NET member and a
/// Chromium page on each instance form the full mesh and talk every way, exactly as on one instance.
/// </summary>
[TestFixture]
[NonParallelizable]
public class MixedGroupClusterTests : BrowserClientTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Test]
    [CancelAfter(120_000)]
    public async Task Members_on_two_instances_form_one_mesh_and_talk_every_way(CancellationToken ct)
    {
        await using var redis = await RedisServer.StartAsync(cancellationToken: ct);
        await using var a = await BrowserClientServer.StartAsync(configure: o => o.Redis = redis.ConnectionString);
        await using var b = await BrowserClientServer.StartAsync(configure: o => o.Redis = redis.ConnectionString);

        await using var dotnetA = await DotNetMember.CreateAsync(a.WebSocketUri, groupId: null, ct);
        var groupId = dotnetA.Group.Id;
        var pageB = await OpenAsync("cluster-page-b", origin: b);
        await pageB.CallAsync("join", groupId);
        await using var dotnetB = await DotNetMember.CreateAsync(b.WebSocketUri, groupId, ct);
        var pageA = await OpenAsync("cluster-page-a", origin: a);
        await pageA.CallAsync("join", groupId);

        await Task.WhenAll(dotnetA.Group.WhenAllConnectedAsync(ct), dotnetB.Group.WhenAllConnectedAsync(ct)).WaitAsync(Timeout, ct);
        await pageA.CallAsync("waitConnected", 3, WaitMs);
        await pageB.CallAsync("waitConnected", 3, WaitMs);
        Assert.That(dotnetA.Group.Members, Has.Count.EqualTo(3));
        Assert.That(dotnetB.Group.Members, Has.Count.EqualTo(3));

        await dotnetA.Group.BroadcastAsync(Encoding.UTF8.GetBytes("from A"), ct);
        await dotnetB.Group.BroadcastAsync(Encoding.UTF8.GetBytes("from B"), ct);
        await pageA.CallAsync("broadcastText", "from page A");
        await pageB.CallAsync("broadcastText", "from page B");
        await dotnetA.WaitForBroadcastsAsync(3, ct);
        await dotnetB.WaitForBroadcastsAsync(3, ct);
        var atPageA = await pageA.CallAsync("waitReceived", 3, WaitMs);
        var atPageB = await pageB.CallAsync("waitReceived", 3, WaitMs);
        Assert.Multiple(() =>
        {
            Assert.That(dotnetA.Texts(), Is.EquivalentTo(new[] { $"{dotnetB.Id}:from B", $"{pageA.Id}:from page A", $"{pageB.Id}:from page B" }));
            Assert.That(dotnetB.Texts(), Is.EquivalentTo(new[] { $"{dotnetA.Id}:from A", $"{pageA.Id}:from page A", $"{pageB.Id}:from page B" }));
            Assert.That(Texts(atPageA), Is.EquivalentTo(new[] { $"{dotnetA.Id}:from A", $"{dotnetB.Id}:from B", $"{pageB.Id}:from page B" }));
            Assert.That(Texts(atPageB), Is.EquivalentTo(new[] { $"{dotnetA.Id}:from A", $"{dotnetB.Id}:from B", $"{pageA.Id}:from page A" }));
        });

        // Unicast with replies between instances: .NET (A) → page (B), page (A) → .NET (B).
        var reply = await dotnetA.Group.UnicastAsync(pageB.Id, Encoding.UTF8.GetBytes("hi page"), ct);
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("echo:hi page"));
        var fromPage = await pageA.CallAsync("unicastText", dotnetB.Id, "hi dotnet", WaitMs);
        Assert.That(fromPage.GetProperty("reply").GetString(), Is.EqualTo("dotnet got: hi dotnet"));

        // A page on B leaves: the .NET member on A is told through the backplane.
        var left = dotnetA.WaitForLeftAsync(pageB.Id);
        await pageB.CloseAsync();
        await left.WaitAsync(Timeout, ct);
    }

}
