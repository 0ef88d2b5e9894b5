using System.Diagnostics;
using System.Text.Json;
using P2p.Signaling.Server.Tests.Support;
using P2p.Signaling.WebSockets;
using P2p.Testing;

namespace P2p.Signaling.Server.Tests.Cluster;

/// <summary>
/// An instance of a Redis-backed cluster killed like a crash (a child process, SIGKILL): its members are removed and the
/// others told within the bound, unless they resume on another instance first.
/// </summary>
[NonParallelizable]
public class InstanceFailureTests
{
    [Test]
    public async Task A_killed_instance_s_members_leave_their_groups_and_the_others_are_told_within_ten_seconds()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var doomed = await SignalingHostProcess.StartAsync("--redis", redis.ConnectionString);
        await using var survivor = await TestServer.StartAsync(o => o.Redis = redis.ConnectionString);
        await using var x = await RawClient.ConnectAsync(doomed.Uri);
        await using var y = await RawClient.ConnectAsync(survivor.Uri);
        var group = (await x.CallAsync("create", "[]")).GetProperty("result").GetString()!;
        await y.CallAsync("join", $"[\"{group}\"]");
        await x.NotificationAsync("member_joined");

        var clock = Stopwatch.StartNew();
        await doomed.KillAsync();
        var left = await y.ExpectAsync(m => m.TryGetProperty("method", out var method) && method.GetString() == "member_left")
            .WaitAsync(TimeSpan.FromSeconds(15))
            .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : (JsonElement?)null, TaskScheduler.Default);
        var elapsed = clock.Elapsed;
        TestContext.Out.WriteLine($"instance killed → member_left at the other instance: {elapsed.TotalSeconds:0.00} s (defaults: heartbeat 1 s, timeout 5 s)");

        Assert.That(left, Is.Not.Null, "member_left never came");
        Assert.That(left!.Value.GetProperty("params").GetRawText(), Is.EqualTo($"[\"{group}\",\"{x.UserId}\"]"));
        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        var members = (await y.CallAsync("get_members", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(members.EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { y.UserId }));
    }

    [Test]
    public async Task A_member_of_a_killed_instance_resumes_on_another_and_nobody_is_told()
    {
        var key = SignalingServerOptions.NewResumeKey();
        await using var redis = await RedisServer.StartAsync();
        var fast = new[] { "--P2pSignaling:InstanceTimeout", "00:00:02", "--P2pSignaling:InstanceHeartbeatInterval", "00:00:00.500" };
        await using var doomed = await SignalingHostProcess.StartAsync(["--redis", redis.ConnectionString, "--P2pSignaling:ResumeKey", key, .. fast]);
        await using var survivor = await TestServer.StartAsync(
            o =>
            {
                o.Redis = redis.ConnectionString;
                o.InstanceTimeout = TimeSpan.FromSeconds(2);
                o.InstanceHeartbeatInterval = TimeSpan.FromMilliseconds(500);
            },
            resumeKey: key);
        await using var balancer = new FaultyTcpProxy(doomed.Uri);
        await using var x = await WebSocketSignalingChannel.ConnectAsync(balancer.Uri);
        await using var y = await WebSocketSignalingChannel.ConnectAsync(survivor.Uri);
        x.RelayHandler = (relay, _) => ValueTask.FromResult(JsonElement.Parse("\"x got " + relay.Data.GetRawText().Trim('"') + "\""));
        var idX = await x.InitAsync();
        var idY = await y.InitAsync();
        var group = await x.CreateGroupAsync(null);
        await y.JoinGroupAsync(group);
        var left = 0;
        y.MemberLeft += (_, _) => Interlocked.Increment(ref left);
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        x.Reconnected += (_, _) => reconnected.TrySetResult();

        var clock = Stopwatch.StartNew();
        balancer.Retarget(survivor.Uri);
        await doomed.KillAsync();
        await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(15));
        TestContext.Out.WriteLine($"instance killed → resumed on the other instance: {clock.Elapsed.TotalSeconds:0.00} s");

        Assert.That(x.UserId, Is.EqualTo(idX));
        Assert.That((await y.RelayAsync(group, idX, JsonElement.Parse("\"hi\""))).GetString(), Is.EqualTo("x got hi"));

        // The failed instance is swept after its heartbeat expires (2 s here): the resumed member must survive it.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.That(await y.GetMembersAsync(group), Is.EqualTo(new[] { idX, idY }));
        Assert.That(Volatile.Read(ref left), Is.Zero, "nobody is told that a resumed member left");
        Assert.That((await y.RelayAsync(group, idX, JsonElement.Parse("\"again\""))).GetString(), Is.EqualTo("x got again"));
    }
}
