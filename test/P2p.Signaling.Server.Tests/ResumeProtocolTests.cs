using System.Text.Json;
using P2p.Signaling.Server.Tests.Support;

namespace P2p.Signaling.Server.Tests;

/// <summary>The resume extension on the wire (<c>get_resume_token</c>, <c>resume</c>), with literal frames.</summary>
public class ResumeProtocolTests
{
    private static async Task<string> TokenAsync(RawClient client)
    {
        var result = (await client.CallAsync("get_resume_token", "[]")).GetProperty("result");
        Assert.That(result.GetProperty("gracePeriodMs").GetInt32(), Is.GreaterThan(0));
        return result.GetProperty("token").GetString()!;
    }

    private static async Task<string> CreateAsync(RawClient client, int capability) =>
        (await client.CallAsync("create", $"[{capability}]")).GetProperty("result").GetString()!;

    /// <summary>The member is detached once relays to it fail with -32004 (its connection was cleaned up).</summary>
    private static async Task WaitUntilDetachedAsync(RawClient other, string group, string userId)
    {
        Assert.That(await other.ErrorCodeAsync("relay", $"[\"{group}\",\"{userId}\",1]"), Is.EqualTo(-32004), "a relay to a detached member fails at once");
    }

    [Test]
    public async Task Get_resume_token_returns_a_token_and_the_grace_period()
    {
        await using var server = await TestServer.StartAsync(o => o.ResumeGracePeriod = TimeSpan.FromSeconds(7));
        await using var client = await RawClient.ConnectAsync(server.Uri);
        var result = (await client.CallAsync("get_resume_token", "[]")).GetProperty("result");
        Assert.That(result.GetProperty("gracePeriodMs").GetInt32(), Is.EqualTo(7000));
        Assert.That(result.GetProperty("token").GetString(), Does.Match("^[A-Za-z0-9_-]{40,64}$"));
        await using var fresh = await RawClient.ConnectAsync(server.Uri, init: false);
        Assert.That(await fresh.ErrorCodeAsync("get_resume_token", "[]"), Is.EqualTo(-32001));
    }

    [Test]
    public async Task Resume_within_the_grace_period_keeps_group_membership()
    {
        await using var server = await TestServer.StartAsync();
        await using var owner = await RawClient.ConnectAsync(server.Uri);
        var member = await RawClient.ConnectAsync(server.Uri);
        var group = await CreateAsync(owner, 5);
        await member.CallAsync("join", $"[\"{group}\"]");
        await owner.NotificationAsync("member_joined");
        var token = await TokenAsync(member);

        await member.AbortAsync();
        await WaitUntilDetachedAsync(owner, group, member.UserId);
        var members = (await owner.CallAsync("get_members", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(members.EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { owner.UserId, member.UserId }), "a detached member is still listed");

        await using var resumed = await RawClient.ConnectAsync(server.Uri, init: false);
        var result = (await resumed.CallAsync("resume", $"[\"{token}\",[]]")).GetProperty("result");
        Assert.That(result.GetProperty("id").GetString(), Is.EqualTo(member.UserId));
        Assert.That(result.GetProperty("groups").EnumerateArray().Select(g => g.GetString()), Is.EqualTo(new[] { group }));

        // Relays work again both ways; nobody was told the member left or joined.
        var relay = owner.CallAsync("relay", $"[\"{group}\",\"{member.UserId}\",{{\"type\":\"offer\"}}]");
        var forwarded = await resumed.RelayRequestAsync();
        await resumed.AnswerAsync(forwarded, "\"result\":\"ok\"");
        Assert.That((await relay).GetProperty("result").GetString(), Is.EqualTo("ok"));
        var back = resumed.CallAsync("relay", $"[\"{group}\",\"{owner.UserId}\",2]");
        await owner.AnswerAsync(await owner.RelayRequestAsync(), "\"result\":null");
        Assert.That((await back).TryGetProperty("result", out _), Is.True);
        Assert.That(owner.Unclaimed(), Has.None.Contains("member_left").And.None.Contains("member_joined"));
        await member.DisposeAsync();
    }

    [Test]
    public async Task The_grace_period_passing_removes_the_member()
    {
        await using var server = await TestServer.StartAsync(o => o.ResumeGracePeriod = TimeSpan.FromMilliseconds(300));
        await using var owner = await RawClient.ConnectAsync(server.Uri);
        var member = await RawClient.ConnectAsync(server.Uri);
        var group = await CreateAsync(owner, 15);
        await member.CallAsync("join", $"[\"{group}\"]");
        var token = await TokenAsync(member);
        await member.AbortAsync();

        var left = await owner.NotificationAsync("member_left");
        Assert.That(left.GetProperty("params")[1].GetString(), Is.EqualTo(member.UserId));
        await using var late = await RawClient.ConnectAsync(server.Uri, init: false);
        var error = (await late.CallAsync("resume", $"[\"{token}\",[]]")).GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32009));
        Assert.That(error.GetProperty("message").GetString(), Does.StartWith("resume refused: "));
        await member.DisposeAsync();
    }

    [Test]
    public async Task A_clean_close_leaves_at_once()
    {
        await using var server = await TestServer.StartAsync(o => o.ResumeGracePeriod = TimeSpan.FromMinutes(5));
        await using var owner = await RawClient.ConnectAsync(server.Uri);
        var member = await RawClient.ConnectAsync(server.Uri);
        var group = await CreateAsync(owner, 15);
        await member.CallAsync("join", $"[\"{group}\"]");
        await member.CloseAsync();
        var left = await owner.NotificationAsync("member_left");
        Assert.That(left.GetProperty("params")[1].GetString(), Is.EqualTo(member.UserId));
        await member.DisposeAsync();
    }

    [Test]
    public async Task Resume_takes_over_a_session_whose_old_connection_is_still_attached()
    {
        await using var server = await TestServer.StartAsync();
        await using var owner = await RawClient.ConnectAsync(server.Uri);
        await using var member = await RawClient.ConnectAsync(server.Uri);
        var group = await CreateAsync(owner, 15);
        await member.CallAsync("join", $"[\"{group}\"]");
        await owner.NotificationAsync("member_joined");
        var token = await TokenAsync(member);

        await using var second = await RawClient.ConnectAsync(server.Uri, init: false);
        var result = (await second.CallAsync("resume", $"[\"{token}\",[]]")).GetProperty("result");
        Assert.That(result.GetProperty("id").GetString(), Is.EqualTo(member.UserId));
        Assert.That(result.GetProperty("groups").EnumerateArray().Select(g => g.GetString()), Is.EqualTo(new[] { group }));
        await member.Closed.WaitAsync(RawClient.Wait);
        Assert.That((await owner.CallAsync("get_members", $"[\"{group}\"]")).GetProperty("result").GetArrayLength(), Is.EqualTo(2));
        Assert.That(owner.Unclaimed(), Has.None.Contains("member_left"));
    }

    [TestCase("\"not-a-token\"", -32009)]
    [TestCase("\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"", -32009)]
    [TestCase("5", -32602)]
    public async Task A_bad_token_is_refused(string token, int code)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await RawClient.ConnectAsync(server.Uri, init: false);
        Assert.That(await client.ErrorCodeAsync("resume", $"[{token},[]]"), Is.EqualTo(code));
        Assert.That(await client.ErrorCodeAsync("resume", "[\"x\"]"), Is.EqualTo(-32602), "groups missing");
        Assert.That(await client.ErrorCodeAsync("resume", "[\"x\",[{\"id\":\"g\",\"capability\":16}]]"), Is.EqualTo(-32602), "capability out of range");
    }

    [Test]
    public async Task Resume_after_init_is_refused()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await RawClient.ConnectAsync(server.Uri);
        var token = await TokenAsync(client);
        Assert.That(await client.ErrorCodeAsync("resume", $"[\"{token}\",[]]"), Is.EqualTo(-32602));
    }

    [Test]
    public async Task A_restarted_server_with_the_same_key_adopts_the_session_and_recreates_its_groups()
    {
        var key = SignalingServerOptions.NewResumeKey();
        string token, userId;
        await using (var first = await TestServer.StartAsync(resumeKey: key))
        {
            await using var client = await RawClient.ConnectAsync(first.Uri);
            token = await TokenAsync(client);
            userId = client.UserId;
        }

        await using var second = await TestServer.StartAsync(resumeKey: key);
        await using var resumed = await RawClient.ConnectAsync(second.Uri, init: false);
        var groups = """[{"id":"00112233445566778899aabbccddeeff","owner":"ffeeddccbbaa99887766554433221100","capability":6}]""";
        var result = (await resumed.CallAsync("resume", $"[\"{token}\",{groups}]")).GetProperty("result");
        Assert.That(result.GetProperty("id").GetString(), Is.EqualTo(userId));
        var info = (await resumed.CallAsync("get_group", "[\"00112233445566778899aabbccddeeff\"]")).GetProperty("result");
        Assert.That(info.GetProperty("owner").GetString(), Is.EqualTo("ffeeddccbbaa99887766554433221100"));
        Assert.That(info.GetProperty("capability").GetInt32(), Is.EqualTo(6));
        Assert.That(info.GetProperty("members").EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { userId }));

        await using var other = await RawClient.ConnectAsync(second.Uri);
        Assert.That((await other.CallAsync("join", "[\"00112233445566778899aabbccddeeff\"]")).GetProperty("result").GetBoolean(), Is.True);
        var joined = await resumed.NotificationAsync("member_joined");
        Assert.That(joined.GetProperty("params")[1].GetString(), Is.EqualTo(other.UserId));
    }

    [Test]
    public async Task A_server_with_another_key_or_past_its_first_grace_period_refuses()
    {
        string token;
        await using (var first = await TestServer.StartAsync())
        {
            await using var client = await RawClient.ConnectAsync(first.Uri);
            token = await TokenAsync(client);
        }

        await using var second = await TestServer.StartAsync();
        await using var resumed = await RawClient.ConnectAsync(second.Uri, init: false);
        Assert.That(await resumed.ErrorCodeAsync("resume", $"[\"{token}\",[]]"), Is.EqualTo(-32009), "another (random) key");

        var key = SignalingServerOptions.NewResumeKey();
        await using var third = await TestServer.StartAsync(o => o.ResumeGracePeriod = TimeSpan.FromMilliseconds(1), resumeKey: key);
        await using var client3 = await RawClient.ConnectAsync(third.Uri);
        var token3 = await TokenAsync(client3);
        await client3.CloseAsync(); // a clean close ends the session at once
        await using var other = await RawClient.ConnectAsync(third.Uri, init: false);
        var error = (await other.CallAsync("resume", $"[\"{token3}\",[]]")).GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32009), "unknown session on a server running longer than its grace period");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("unknown or expired session"));
    }
}
