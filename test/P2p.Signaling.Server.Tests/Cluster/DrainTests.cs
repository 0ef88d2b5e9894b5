using System.Diagnostics;
using System.Text.Json;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Tests.Support;
using P2p.Signaling.WebSockets;
using P2p.Testing;

namespace P2p.Signaling.Server.Tests.Cluster;

/// <summary>A graceful stop of one instance of a Redis-backed cluster drains it: its members resume on another instance.</summary>
[NonParallelizable]
public class DrainTests
{
    [Test]
    public async Task A_drained_instance_s_members_resume_on_another_with_their_groups_and_nobody_is_told()
    {
        var key = SignalingServerOptions.NewResumeKey();
        await using var redis = await RedisServer.StartAsync();
        var draining = await TestServer.StartAsync(o => o.Redis = redis.ConnectionString, resumeKey: key);
        await using var staying = await TestServer.StartAsync(o => o.Redis = redis.ConnectionString, resumeKey: key);
        await using var balancer = new FaultyTcpProxy(draining.Uri);
        await using var x = await WebSocketSignalingChannel.ConnectAsync(balancer.Uri);
        await using var y = await WebSocketSignalingChannel.ConnectAsync(staying.Uri);
        x.RelayHandler = (relay, _) => ValueTask.FromResult(JsonElement.Parse("\"x got " + relay.Data.GetRawText().Trim('"') + "\""));
        var idX = await x.InitAsync();
        var idY = await y.InitAsync();
        var group = await y.CreateGroupAsync(6);
        await x.JoinGroupAsync(group);
        var left = 0;
        y.MemberLeft += (_, _) => Interlocked.Increment(ref left);
        var reconnecting = new TaskCompletionSource<SignalingReconnectingEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        x.Reconnecting += (_, e) => reconnecting.TrySetResult(e);
        x.Reconnected += (_, _) => reconnected.TrySetResult();

        // The load balancer sends new connections elsewhere; the instance stops.
        balancer.Retarget(staying.Uri);
        var clock = Stopwatch.StartNew();
        await draining.DisposeAsync();
        var why = await reconnecting.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(10));
        TestContext.Out.WriteLine($"drain → resumed on the other instance: {clock.Elapsed.TotalMilliseconds:0} ms ({why.Reason})");

        Assert.That(why.Reason, Does.Contain("draining"));
        Assert.That(x.UserId, Is.EqualTo(idX));
        Assert.That(await x.GetMembersAsync(group), Is.EqualTo(new[] { idY, idX }));
        Assert.That((await x.GetGroupAsync(group)).Capability, Is.EqualTo(6));
        Assert.That((await y.RelayAsync(group, idX, JsonElement.Parse("\"hi\""))).GetString(), Is.EqualTo("x got hi"));
        Assert.That(Volatile.Read(ref left), Is.Zero, "nobody is told that a drained member left");
    }

    [Test]
    public async Task A_drained_member_that_never_comes_back_is_removed_by_another_instance_when_its_grace_period_ends()
    {
        await using var redis = await RedisServer.StartAsync();
        var grace = TimeSpan.FromSeconds(1);
        var draining = await TestServer.StartAsync(o => (o.Redis, o.ResumeGracePeriod) = (redis.ConnectionString, grace));
        await using var staying = await TestServer.StartAsync(o => (o.Redis, o.ResumeGracePeriod) = (redis.ConnectionString, grace));
        await using var gone = await RawClient.ConnectAsync(draining.Uri);
        await using var y = await RawClient.ConnectAsync(staying.Uri);
        var group = (await y.CallAsync("create", "[]")).GetProperty("result").GetString()!;
        await gone.CallAsync("join", $"[\"{group}\"]");
        await y.NotificationAsync("member_joined");

        // The instance drains (the member's session is parked in Redis) and the member never resumes: the instance
        // that parked it is gone, so the other one ends the session when the grace period passes.
        var clock = Stopwatch.StartNew();
        await draining.DisposeAsync();
        var members = (await y.CallAsync("get_members", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(members.GetArrayLength(), Is.EqualTo(2), "parked, still listed during the grace period");
        var left = await y.NotificationAsync("member_left");
        TestContext.Out.WriteLine($"drain → member_left from the other instance after {clock.Elapsed.TotalSeconds:0.00} s (grace 1 s, housekeeping every 1 s)");
        Assert.That(left.GetProperty("params")[1].GetString(), Is.EqualTo(gone.UserId));
        members = (await y.CallAsync("get_members", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(members.EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { y.UserId }));
    }
}
