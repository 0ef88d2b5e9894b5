using System.Text.Json;
using P2p.Signaling.Server.Tests.Support;

namespace P2p.Signaling.Server.Tests;

/// <summary>The seed's sequence at the signaling level, written with literal frames from the protocol table.</summary>
public class SeedSequenceTests
{
    private EmbeddedSignalingServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await TestServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [Test]
    public async Task Three_agents_form_a_group_and_negotiate_through_relays()
    {
        await using var ua0 = await RawClient.ConnectAsync(_server.Uri);
        await using var ua1 = await RawClient.ConnectAsync(_server.Uri);
        await using var ua2 = await RawClient.ConnectAsync(_server.Uri);
        foreach (var id in new[] { ua0.UserId, ua1.UserId, ua2.UserId })
        {
            Assert.That(id, Does.Match("^[0-9a-f]{32}$"));
        }

        Assert.That(new[] { ua0.UserId, ua1.UserId, ua2.UserId }, Is.Unique);

        // UA0 creates the group.
        var group = (await ua0.CallAsync("create", "[]")).GetProperty("result").GetString()!;
        Assert.That(group, Does.Match("^[0-9a-f]{32}$"));

        // UA1: join, get_members, offer to every existing member (UA0); the relay's result is the answer.
        Assert.That((await ua1.CallAsync("join", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True);
        var joined = await ua0.NotificationAsync("member_joined");
        Assert.That(joined.GetProperty("params").GetRawText(), Is.EqualTo($"[\"{group}\",\"{ua1.UserId}\"]"));
        var members = (await ua1.CallAsync("get_members", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(members.EnumerateArray().Select(m => m.GetString()), Is.EqualTo(new[] { ua0.UserId, ua1.UserId }));

        var offer = ua1.CallAsync("relay", $$"""["{{group}}","{{ua0.UserId}}",{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}]""");
        var atUa0 = await ua0.RelayRequestAsync();
        Assert.That(atUa0.GetProperty("params").GetRawText(),
            Is.EqualTo($$"""["{{group}}","{{ua1.UserId}}",{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}]"""), "the server stamps the sender");
        await ua0.AnswerAsync(atUa0, """ "result":{"type":"answer","sdp":"v=0\r\n"} """);
        Assert.That((await offer).GetProperty("result").GetRawText(), Is.EqualTo("""{"type":"answer","sdp":"v=0\r\n"}"""));

        // Trickle ICE both ways; candidate relays answer null.
        var candidate = """{"type":"candidate","candidate":"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}""";
        var c1 = ua1.CallAsync("relay", $"[\"{group}\",\"{ua0.UserId}\",{candidate}]");
        var c0 = ua0.CallAsync("relay", $"[\"{group}\",\"{ua1.UserId}\",{candidate}]");
        var c1At0 = await ua0.RelayRequestAsync();
        var c0At1 = await ua1.RelayRequestAsync();
        Assert.That(c1At0.GetProperty("params")[1].GetString(), Is.EqualTo(ua1.UserId));
        Assert.That(c0At1.GetProperty("params")[1].GetString(), Is.EqualTo(ua0.UserId));
        Assert.That(c0At1.GetProperty("params")[2].GetRawText(), Is.EqualTo(candidate));
        await ua0.AnswerAsync(c1At0, "\"result\":null");
        await ua1.AnswerAsync(c0At1, "\"result\":null");
        Assert.That((await c1).GetProperty("result").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That((await c0).GetProperty("result").ValueKind, Is.EqualTo(JsonValueKind.Null));

        // UA2 joins: UA0 and UA1 are told, UA2 offers to both.
        await ua2.CallAsync("join", $"[\"{group}\"]");
        Assert.That((await ua0.NotificationAsync("member_joined")).GetProperty("params")[1].GetString(), Is.EqualTo(ua2.UserId));
        Assert.That((await ua1.NotificationAsync("member_joined")).GetProperty("params")[1].GetString(), Is.EqualTo(ua2.UserId));
        var all = (await ua2.CallAsync("get_members", $"[\"{group}\"]")).GetProperty("result").EnumerateArray().Select(m => m.GetString()).ToArray();
        Assert.That(all, Is.EqualTo(new[] { ua0.UserId, ua1.UserId, ua2.UserId }));
        foreach (var (peer, name) in new[] { (ua0, "UA0"), (ua1, "UA1") })
        {
            var relay = ua2.CallAsync("relay", $$"""["{{group}}","{{peer.UserId}}",{"type":"offer","sdp":"to {{name}}"}]""");
            var request = await peer.RelayRequestAsync();
            Assert.That(request.GetProperty("params")[1].GetString(), Is.EqualTo(ua2.UserId));
            await peer.AnswerAsync(request, $$""" "result":{"type":"answer","sdp":"from {{name}}"} """);
            Assert.That((await relay).GetProperty("result").GetProperty("sdp").GetString(), Is.EqualTo("from " + name));
        }

        var info = (await ua2.CallAsync("get_group", $"[\"{group}\"]")).GetProperty("result");
        Assert.That(info.GetRawText(), Is.EqualTo($$"""{"id":"{{group}}","owner":"{{ua0.UserId}}","capability":15,"members":["{{ua0.UserId}}","{{ua1.UserId}}","{{ua2.UserId}}"]}"""));

        // Nobody got anything unexpected: UA2 joined last and saw no member_joined.
        Assert.That(ua0.Unclaimed(), Is.Empty);
        Assert.That(ua1.Unclaimed(), Is.Empty);
        Assert.That(ua2.Unclaimed(), Is.Empty);
    }

    [Test]
    public async Task Create_accepts_a_capability()
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri);
        foreach (var (param, expected) in new[] { ("[0]", 0), ("[5]", 5), ("[15]", 15), ("[null]", 15), ("[]", 15) })
        {
            var group = (await ua.CallAsync("create", param)).GetProperty("result").GetString();
            var info = (await ua.CallAsync("get_group", $"[\"{group}\"]")).GetProperty("result");
            Assert.That(info.GetProperty("capability").GetInt32(), Is.EqualTo(expected), param);
        }

        var withoutParams = await ua.SendAndReceiveAsync("""{"jsonrpc":"2.0","id":"np","method":"create"}""");
        Assert.That(withoutParams.GetProperty("result").GetString(), Does.Match("^[0-9a-f]{32}$"), "params may be omitted");
    }

    [Test]
    public async Task Ids_are_echoed_exactly()
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri);
        foreach (var id in new[] { "\"abc\"", "\"\"", "0", "-5", "1.5", "null", "\"a\\\"b\"" })
        {
            await ua.SendAsync($$"""{"jsonrpc":"2.0","id":{{id}},"method":"init","params":[]}""");
            var response = await ua.ExpectAsync(m => m.TryGetProperty("result", out _));
            Assert.That(response.GetProperty("id").GetRawText(), Is.EqualTo(id));
        }
    }

    [Test]
    public async Task Init_is_idempotent()
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri);
        var again = (await ua.CallAsync("init", "[]")).GetProperty("result").GetString();
        Assert.That(again, Is.EqualTo(ua.UserId));
    }

    [Test]
    public async Task Notifications_get_no_response()
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri, init: false);
        await ua.SendAsync("""{"jsonrpc":"2.0","method":"init","params":[]}""");
        await ua.SendAsync("""{"jsonrpc":"2.0","method":"join","params":["no-such-group"]}""");
        await ua.SendAsync("""{"jsonrpc":"2.0","method":"bogus"}""");
        var response = await ua.CallAsync("create", "[]");
        Assert.That(response.TryGetProperty("result", out _), Is.True, "the init notification was processed");
        Assert.That(ua.Unclaimed(), Is.Empty, "neither successes nor errors are answered for notifications");
    }

    [Test]
    public async Task A_json_rpc_version_is_optional_on_input()
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri, init: false);
        var response = await ua.SendAndReceiveAsync("""{"id":1,"method":"init","params":[]}""");
        Assert.That(response.GetProperty("jsonrpc").GetString(), Is.EqualTo("2.0"));
        Assert.That(response.GetProperty("result").GetString(), Does.Match("^[0-9a-f]{32}$"));
    }
}
