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
}
