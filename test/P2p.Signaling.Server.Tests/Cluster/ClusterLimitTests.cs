using P2p.Signaling.Server.Tests.Support;
using P2p.Testing;

namespace P2p.Signaling.Server.Tests.Cluster;

/// <summary>The members-per-group limit (-32040) holds across two instances sharing groups through a real Redis.</summary>
[NonParallelizable]
public class ClusterLimitTests
{
    [Test]
    public async Task A_full_group_refuses_joins_through_every_instance()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await TestServer.StartAsync(o =>
        {
            ClusterTests.Configure(o, redis);
            o.MaxMembersPerGroup = 2;
        });
        await using var b = await TestServer.StartAsync(o =>
        {
            ClusterTests.Configure(o, redis);
            o.MaxMembersPerGroup = 2;
        });
        await using var owner = await RawClient.ConnectAsync(a.Uri);
        await using var second = await RawClient.ConnectAsync(b.Uri);
        await using var thirdOnA = await RawClient.ConnectAsync(a.Uri);
        await using var thirdOnB = await RawClient.ConnectAsync(b.Uri);
        var group = (await owner.CallAsync("create", "[]")).GetProperty("result").GetString()!;
        Assert.That((await second.CallAsync("join", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True);

        Assert.That(await thirdOnA.ErrorCodeAsync("join", $"[\"{group}\"]"), Is.EqualTo(-32040));
        Assert.That(await thirdOnB.ErrorCodeAsync("join", $"[\"{group}\"]"), Is.EqualTo(-32040));
        Assert.That((await second.CallAsync("join", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True, "a member re-joining is not refused");
    }
}
