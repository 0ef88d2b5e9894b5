using P2p.Signaling.Server.Tests.Support;

namespace P2p.Signaling.Server.Tests;

/// <summary>Join/leave semantics and the notifications the other members see.</summary>
public class MembershipTests
{
    private EmbeddedSignalingServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await TestServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private async Task<string> CreateAsync(RawClient owner) => (await owner.CallAsync("create", "[]")).GetProperty("result").GetString()!;

    [Test]
    public async Task Joining_twice_is_true_and_notifies_once()
    {
        await using var owner = await RawClient.ConnectAsync(_server.Uri);
        await using var member = await RawClient.ConnectAsync(_server.Uri);
        var group = await CreateAsync(owner);
        Assert.That((await member.CallAsync("join", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True);
        Assert.That((await member.CallAsync("join", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True);
        Assert.That((await owner.CallAsync("join", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True, "the owner re-joining is harmless");
        await owner.NotificationAsync("member_joined");

        // Both joins were answered, so any notification they caused is already queued ahead of this answer.
        var members = (await owner.CallAsync("get_members", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(members.GetArrayLength(), Is.EqualTo(2));
        Assert.That(owner.Unclaimed(), Is.Empty, "no second member_joined");
        Assert.That(member.Unclaimed(), Is.Empty);
    }

    [Test]
    public async Task Leaving_notifies_the_others_and_leaving_again_is_not_member()
    {
        await using var owner = await RawClient.ConnectAsync(_server.Uri);
        await using var a = await RawClient.ConnectAsync(_server.Uri);
        await using var b = await RawClient.ConnectAsync(_server.Uri);
        var group = await CreateAsync(owner);
        await a.CallAsync("join", $"[\"{group}\"]");
        await b.CallAsync("join", $"[\"{group}\"]");
        Assert.That((await a.CallAsync("leave", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True);
        foreach (var other in new[] { owner, b })
        {
            var left = await other.NotificationAsync("member_left");
            Assert.That(left.GetProperty("params").GetRawText(), Is.EqualTo($"[\"{group}\",\"{a.UserId}\"]"));
        }

        Assert.That(await a.ErrorCodeAsync("leave", $"[\"{group}\"]"), Is.EqualTo(-32003));
        Assert.That(await a.ErrorCodeAsync("get_members", $"[\"{group}\"]"), Is.EqualTo(-32003));
    }

    [Test]
    public async Task When_the_owner_leaves_the_group_lives_on_and_keeps_its_owner()
    {
        await using var owner = await RawClient.ConnectAsync(_server.Uri);
        await using var member = await RawClient.ConnectAsync(_server.Uri);
        var group = await CreateAsync(owner);
        await member.CallAsync("join", $"[\"{group}\"]");
        await owner.CallAsync("leave", $"[\"{group}\"]");
        Assert.That((await member.NotificationAsync("member_left")).GetProperty("params")[1].GetString(), Is.EqualTo(owner.UserId));
        var info = (await member.CallAsync("get_group", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(info.GetProperty("owner").GetString(), Is.EqualTo(owner.UserId));
        Assert.That(info.GetProperty("members").EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { member.UserId }));
        Assert.That(await owner.ErrorCodeAsync("relay", $"[\"{group}\",\"{member.UserId}\",1]"), Is.EqualTo(-32003));

        // The former owner may come back as an ordinary member.
        await owner.CallAsync("join", $"[\"{group}\"]");
        var back = (await member.CallAsync("get_members", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(back.EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { member.UserId, owner.UserId }));
    }

    [Test]
    public async Task A_group_is_removed_when_its_last_member_leaves()
    {
        await using var owner = await RawClient.ConnectAsync(_server.Uri);
        await using var other = await RawClient.ConnectAsync(_server.Uri);
        var group = await CreateAsync(owner);
        await owner.CallAsync("leave", $"[\"{group}\"]");
        Assert.That(await other.ErrorCodeAsync("join", $"[\"{group}\"]"), Is.EqualTo(-32002));
        Assert.That(await owner.ErrorCodeAsync("leave", $"[\"{group}\"]"), Is.EqualTo(-32002));
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_dropped_socket_leaves_every_group_and_the_others_are_told(bool abort)
    {
        // An abort (no close handshake) detaches the member for the resume grace period first.
        await using var graceServer = await TestServer.StartAsync(o => o.ResumeGracePeriod = TimeSpan.FromMilliseconds(200));
        var uri = abort ? graceServer.Uri : _server.Uri;
        await using var owner = await RawClient.ConnectAsync(uri);
        var leaver = await RawClient.ConnectAsync(uri);
        var g1 = await CreateAsync(owner);
        var g2 = await CreateAsync(owner);
        var solo = await CreateAsync(leaver);
        await leaver.CallAsync("join", $"[\"{g1}\"]");
        await leaver.CallAsync("join", $"[\"{g2}\"]");
        if (abort)
        {
            await leaver.AbortAsync();
        }
        else
        {
            await leaver.CloseAsync();
        }

        var groups = new HashSet<string>();
        for (var i = 0; i < 2; i++)
        {
            var left = await owner.NotificationAsync("member_left");
            Assert.That(left.GetProperty("params")[1].GetString(), Is.EqualTo(leaver.UserId));
            groups.Add(left.GetProperty("params")[0].GetString()!);
        }

        Assert.That(groups, Is.EquivalentTo(new[] { g1, g2 }));
        Assert.That(await owner.ErrorCodeAsync("join", $"[\"{solo}\"]"), Is.EqualTo(-32002), "its own group went with it");
        await leaver.DisposeAsync();
    }

    [Test]
    public async Task A_user_id_is_gone_after_its_connection()
    {
        await using var owner = await RawClient.ConnectAsync(_server.Uri);
        var leaver = await RawClient.ConnectAsync(_server.Uri);
        var group = await CreateAsync(owner);
        await leaver.CallAsync("join", $"[\"{group}\"]");
        await leaver.CloseAsync();
        await owner.NotificationAsync("member_left");
        var members = (await owner.CallAsync("get_members", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(members.EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { owner.UserId }));
        await leaver.DisposeAsync();
    }
}
