using System.Text.Json;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Tests.Support;
using P2p.Testing;

namespace P2p.Signaling.Server.Tests.Cluster;

/// <summary>Two instances of the server sharing groups through a real Redis (started by the test): the seed's protocol across them.</summary>
[NonParallelizable]
public class ClusterTests
{
    private RedisServer _redis = null!;
    private EmbeddedSignalingServer _a = null!;
    private EmbeddedSignalingServer _b = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _redis = await RedisServer.StartAsync();
        _a = await TestServer.StartAsync(o => Configure(o, _redis));
        _b = await TestServer.StartAsync(o => Configure(o, _redis));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _redis.DisposeAsync();
    }

    internal static void Configure(SignalingServerOptions options, RedisServer redis)
    {
        options.Redis = redis.ConnectionString;
        options.RelayTimeout = TimeSpan.FromSeconds(2);
    }

    [Test]
    public async Task The_seed_sequence_works_with_members_on_different_instances()
    {
        await using var ua0 = await RawClient.ConnectAsync(_a.Uri);
        await using var ua1 = await RawClient.ConnectAsync(_b.Uri);
        await using var ua2 = await RawClient.ConnectAsync(_a.Uri);

        var group = (await ua0.CallAsync("create", "[]")).GetProperty("result").GetString()!;
        Assert.That(group, Does.Match("^[0-9a-f]{32}$"));

        // UA1 (instance B) joins: UA0 (instance A) is told.
        Assert.That((await ua1.CallAsync("join", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True);
        var joined = await ua0.NotificationAsync("member_joined");
        Assert.That(joined.GetProperty("params").GetRawText(), Is.EqualTo($"[\"{group}\",\"{ua1.UserId}\"]"));
        var members = (await ua1.CallAsync("get_members", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(members.EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { ua0.UserId, ua1.UserId }), "join order is kept");

        // An offer from B to A, answered through the backplane.
        var offer = ua1.CallAsync("relay", $$"""["{{group}}","{{ua0.UserId}}",{"type":"offer","sdp":"v=0\r\n"}]""");
        var atUa0 = await ua0.RelayRequestAsync();
        Assert.That(atUa0.GetProperty("params").GetRawText(), Is.EqualTo($$"""["{{group}}","{{ua1.UserId}}",{"type":"offer","sdp":"v=0\r\n"}]"""), "the sender is stamped");
        await ua0.AnswerAsync(atUa0, """ "result":{"type":"answer","sdp":"v=0\r\n"} """);
        Assert.That((await offer).GetProperty("result").GetRawText(), Is.EqualTo("""{"type":"answer","sdp":"v=0\r\n"}"""));

        // Trickle both ways, with an error answer passed through unchanged.
        var c1 = ua1.CallAsync("relay", $"[\"{group}\",\"{ua0.UserId}\",{{\"type\":\"candidate\"}}]");
        var c0 = ua0.CallAsync("relay", $"[\"{group}\",\"{ua1.UserId}\",{{\"type\":\"candidate\"}}]");
        await ua0.AnswerAsync(await ua0.RelayRequestAsync(), "\"result\":null");
        await ua1.AnswerAsync(await ua1.RelayRequestAsync(), "\"error\":{\"code\":-32030,\"message\":\"glare\"}");
        Assert.That((await c1).GetProperty("result").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That((await c0).GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32030));

        // UA2 (instance A) joins: both are told, wherever they are.
        await ua2.CallAsync("join", $"[\"{group}\"]");
        Assert.That((await ua0.NotificationAsync("member_joined")).GetProperty("params")[1].GetString(), Is.EqualTo(ua2.UserId));
        Assert.That((await ua1.NotificationAsync("member_joined")).GetProperty("params")[1].GetString(), Is.EqualTo(ua2.UserId));
        var info = (await ua1.CallAsync("get_group", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(info.GetRawText(), Is.EqualTo($$"""{"id":"{{group}}","owner":"{{ua0.UserId}}","capability":15,"members":["{{ua0.UserId}}","{{ua1.UserId}}","{{ua2.UserId}}"]}"""));

        // UA0 leaves: the others on both instances are told.
        Assert.That((await ua0.CallAsync("leave", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True);
        Assert.That((await ua1.NotificationAsync("member_left")).GetProperty("params")[1].GetString(), Is.EqualTo(ua0.UserId));
        Assert.That((await ua2.NotificationAsync("member_left")).GetProperty("params")[1].GetString(), Is.EqualTo(ua0.UserId));
        Assert.That(ua0.Unclaimed(), Is.Empty);
        Assert.That(ua1.Unclaimed(), Is.Empty);
        Assert.That(ua2.Unclaimed(), Is.Empty);
    }

    [Test]
    public async Task Errors_are_the_same_as_on_one_instance()
    {
        await using var owner = await RawClient.ConnectAsync(_a.Uri);
        await using var stranger = await RawClient.ConnectAsync(_b.Uri);
        await using var member = await RawClient.ConnectAsync(_b.Uri);
        var group = (await owner.CallAsync("create", "[3]")).GetProperty("result").GetString()!;
        await member.CallAsync("join", $"[\"{group}\"]");
        await owner.NotificationAsync("member_joined");

        Assert.That(await stranger.ErrorCodeAsync("get_members", $"[\"{group}\"]"), Is.EqualTo((int)SignalingErrorCode.NotMember));
        Assert.That(await stranger.ErrorCodeAsync("relay", $"[\"{group}\",\"{owner.UserId}\",1]"), Is.EqualTo((int)SignalingErrorCode.NotMember));
        Assert.That(await member.ErrorCodeAsync("relay", $"[\"{group}\",\"{stranger.UserId}\",1]"), Is.EqualTo((int)SignalingErrorCode.TargetUnavailable));
        Assert.That(await stranger.ErrorCodeAsync("join", "[\"00000000000000000000000000000000\"]"), Is.EqualTo((int)SignalingErrorCode.GroupNotFound));
        Assert.That(await stranger.ErrorCodeAsync("leave", $"[\"{group}\"]"), Is.EqualTo((int)SignalingErrorCode.NotMember));
        Assert.That((await member.CallAsync("get_group", $"[\"{group}\"]")).GetProperty("result").GetProperty("capability").GetInt32(), Is.EqualTo(3));

        // The target on the other instance does not answer: -32005 after the relay timeout (2 s here).
        var started = System.Diagnostics.Stopwatch.StartNew();
        var unanswered = member.CallAsync("relay", $"[\"{group}\",\"{owner.UserId}\",\"hello\"]");
        await owner.RelayRequestAsync();
        var error = (await unanswered).GetProperty("error");
        TestContext.Out.WriteLine($"unanswered relay across instances failed after {started.Elapsed.TotalSeconds:0.00} s: {error.GetRawText()}");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo((int)SignalingErrorCode.RelayTimeout));

        // The target's connection dropped (detached, still listed): -32004 at once from the other instance.
        await owner.AbortAsync();
        var deadline = DateTime.UtcNow + RawClient.Wait;
        int code;
        do
        {
            code = await member.ErrorCodeAsync("relay", $"[\"{group}\",\"{owner.UserId}\",2]");
        }
        while (code == (int)SignalingErrorCode.RelayTimeout && DateTime.UtcNow < deadline);
        Assert.That(code, Is.EqualTo((int)SignalingErrorCode.TargetUnavailable));
    }

    [Test]
    public async Task Relays_between_two_instances_keep_their_order()
    {
        await using var sender = await RawClient.ConnectAsync(_a.Uri);
        await using var receiver = await RawClient.ConnectAsync(_b.Uri);
        var group = (await sender.CallAsync("create", "[]")).GetProperty("result").GetString()!;
        await receiver.CallAsync("join", $"[\"{group}\"]");
        await sender.NotificationAsync("member_joined");

        for (var i = 0; i < 200; i++)
        {
            await sender.SendAsync($$"""{"jsonrpc":"2.0","method":"relay","params":["{{group}}","{{receiver.UserId}}",{{i}}]}""");
        }

        for (var i = 0; i < 200; i++)
        {
            var relay = await receiver.RelayRequestAsync();
            Assert.That(relay.GetProperty("params")[2].GetInt32(), Is.EqualTo(i));
        }
    }

    [Test]
    public void A_custom_group_store_with_redis_is_refused_at_start_with_a_clear_error()
    {
        var error = Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(
            o => o.Redis = _redis.ConnectionString,
            services => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Groups.IGroupStore, Groups.InMemoryGroupStore>(services)));
        Assert.That(error!.Message, Does.Contain("another IGroupStore"));
    }
}
