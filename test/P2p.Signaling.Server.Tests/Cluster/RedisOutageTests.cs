using System.Diagnostics;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Tests.Support;
using P2p.Testing;

namespace P2p.Signaling.Server.Tests.Cluster;

/// <summary>Redis going away under a running cluster: clear errors (-32043) meanwhile, then everything works again.</summary>
[NonParallelizable]
public class RedisOutageTests
{
    [Test]
    public async Task Calls_fail_with_service_unavailable_while_redis_is_down_and_the_cluster_recovers_when_it_is_back()
    {
        // Redis with persistence (append-only file): the groups survive its restart, as in a deployment that keeps them.
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { AppendOnly = true });
        await using var a = await TestServer.StartAsync(o => o.Redis = redis.ConnectionString);
        await using var b = await TestServer.StartAsync(o => o.Redis = redis.ConnectionString);
        await using var x = await RawClient.ConnectAsync(a.Uri);
        await using var y = await RawClient.ConnectAsync(b.Uri);
        var group = (await x.CallAsync("create", "[]")).GetProperty("result").GetString()!;
        await y.CallAsync("join", $"[\"{group}\"]");
        await x.NotificationAsync("member_joined");

        await redis.KillAsync();
        var clock = Stopwatch.StartNew();
        var error = (await x.CallAsync("create", "[]")).GetProperty("error");
        TestContext.Out.WriteLine($"Redis killed → create answered in {clock.ElapsedMilliseconds} ms: {error.GetRawText()}");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo((int)SignalingErrorCode.ServiceUnavailable));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("Redis"));
        Assert.That(await y.ErrorCodeAsync("relay", $"[\"{group}\",\"{x.UserId}\",1]"), Is.EqualTo((int)SignalingErrorCode.ServiceUnavailable));

        await redis.RestartAsync();
        clock.Restart();
        System.Text.Json.JsonElement answer;
        do
        {
            answer = await y.CallAsync("get_members", $"[\"{group}\"]");
        }
        while (answer.TryGetProperty("error", out var failed) && failed.GetProperty("code").GetInt32() == (int)SignalingErrorCode.ServiceUnavailable
            && clock.Elapsed < TimeSpan.FromSeconds(20));
        TestContext.Out.WriteLine($"Redis back → first successful call after {clock.ElapsedMilliseconds} ms");
        Assert.That(answer.TryGetProperty("result", out _), Is.True, $"calls work again once Redis is back: {answer.GetRawText()}");

        // The group survived; relays cross instances again in both directions (the subscriptions came back too).
        var members = (await y.CallAsync("get_members", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(members.EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { x.UserId, y.UserId }));
        var toX = y.CallAsync("relay", $"[\"{group}\",\"{x.UserId}\",\"ping\"]");
        await x.AnswerAsync(await x.RelayRequestAsync(), "\"result\":\"pong\"");
        Assert.That((await toX).GetProperty("result").GetString(), Is.EqualTo("pong"));
        var toY = x.CallAsync("relay", $"[\"{group}\",\"{y.UserId}\",\"ping\"]");
        await y.AnswerAsync(await y.RelayRequestAsync(), "\"result\":\"pong\"");
        Assert.That((await toY).GetProperty("result").GetString(), Is.EqualTo("pong"));
        Assert.That(x.Unclaimed().Concat(y.Unclaimed()), Is.Empty, "no member_left: nobody was swept");
    }
}
