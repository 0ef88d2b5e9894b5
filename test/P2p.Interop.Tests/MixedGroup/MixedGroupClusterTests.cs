using System.Text;
using P2p.Signaling.Server;
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


    [Test]
    [CancelAfter(120_000)]
    public async Task A_page_on_a_draining_instance_resumes_on_the_other_and_keeps_its_links(CancellationToken ct)
    {
        var key = SignalingServerOptions.NewResumeKey();
        await using var redis = await RedisServer.StartAsync(cancellationToken: ct);
        var draining = await BrowserClientServer.StartAsync(configure: o => (o.Redis, o.ResumeKey) = (redis.ConnectionString, key));
        await using var staying = await BrowserClientServer.StartAsync(configure: o => (o.Redis, o.ResumeKey) = (redis.ConnectionString, key));
        await using var balancer = new FaultyTcpProxy(draining.WebSocketUri);

        await using var first = await DotNetMember.CreateAsync(staying.WebSocketUri, groupId: null, ct);
        var page = await OpenAsync("draining-page", connect: false, origin: staying);
        await page.ConnectAsync(balancer.Uri); // the page's signaling goes through the "load balancer" to the draining instance
        await page.CallAsync("join", first.Group.Id);
        await first.Group.WhenAllConnectedAsync(ct).WaitAsync(Timeout, ct);
        await page.CallAsync("waitConnected", 1, WaitMs);
        var left = 0;
        first.Group.MemberLeft += (_, _) => Interlocked.Increment(ref left);

        // The balancer sends new connections to the other instance; the instance drains (1012) and stops.
        balancer.Retarget(staying.WebSocketUri);
        await draining.DisposeAsync();

        // The link stays up, and the page's signaling works again: a new member reaches it through the other instance.
        await using var second = await DotNetMember.CreateAsync(staying.WebSocketUri, first.Group.Id, ct);
        await second.Group.WhenAllConnectedAsync(ct).WaitAsync(Timeout, ct);
        await page.CallAsync("waitConnected", 2, WaitMs);
        var reply = await second.Group.UnicastAsync(page.Id, Encoding.UTF8.GetBytes("after the drain"), ct);
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("echo:after the drain"));
        var fromPage = await page.CallAsync("unicastText", first.Id, "still here", WaitMs);
        Assert.That(fromPage.GetProperty("reply").GetString(), Is.EqualTo("dotnet got: still here"));
        Assert.That(Volatile.Read(ref left), Is.Zero, "nobody is told that the drained page left");
        var logs = string.Join("\n", await page.CallAsync<string[]>("logs"));
        Assert.That(logs, Does.Contain("1012"), "the page saw the drain");
    }
}
