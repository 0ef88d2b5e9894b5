using System.Net.WebSockets;
using System.Text;
using P2p.Signaling.Server.Tests.Support;

namespace P2p.Signaling.Server.Tests;

/// <summary>Every bad input gets its documented JSON-RPC error, and the connection (and everyone else) carries on.</summary>
public class ErrorTests
{
    private EmbeddedSignalingServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await TestServer.StartAsync(o =>
    {
        o.MaxMessageSize = 64 * 1024;
        o.MaxGroupsPerConnection = 3;
    });

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [TestCase("{not json", -32700)]
    [TestCase("", -32700)]
    [TestCase("{\"id\":1,\"method\":\"init\"} trailing", -32700)]
    [TestCase("{\"\\ud800\":1,\"id\":1,\"method\":\"init\"}", -32700)] // found by fuzzing: the connection was closed
    [TestCase("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\\ud800\"}", -32700)] // found by fuzzing
    [TestCase("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"init\"}]", -32600)]
    [TestCase("\"init\"", -32600)]
    [TestCase("{\"jsonrpc\":\"2.0\"}", -32600)]
    public async Task Unreadable_messages_get_an_error_with_a_null_id(string frame, int code)
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri, init: false);
        var response = await ua.SendAndReceiveAsync(frame);
        Assert.That(response.GetProperty("id").GetRawText(), Is.EqualTo("null"));
        Assert.That(response.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(code));
        Assert.That((await ua.CallAsync("init", "[]")).TryGetProperty("result", out _), Is.True, "the connection still works");
    }

    [TestCase("{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"init\",\"params\":[]}", -32600)]
    [TestCase("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":42}", -32600)]
    [TestCase("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"init\",\"result\":1}", -32600)]
    [TestCase("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"shutdown\",\"params\":[]}", -32601)]
    [TestCase("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"member_joined\",\"params\":[\"g\",\"u\"]}", -32601)]
    [TestCase("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"init\",\"params\":{}}", -32602)]
    [TestCase("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"init\",\"params\":[1]}", -32602)]
    public async Task Invalid_requests_get_an_error_on_their_id(string frame, int code)
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri, init: false);
        var response = await ua.SendAndReceiveAsync(frame);
        Assert.That(response.GetProperty("id").GetInt32(), Is.EqualTo(7));
        Assert.That(response.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(code));
        Assert.That(response.GetProperty("error").GetProperty("message").GetString(), Is.Not.Empty);
    }

    [TestCase("create", "[]")]
    [TestCase("join", "[\"g\"]")]
    [TestCase("leave", "[\"g\"]")]
    [TestCase("get_members", "[\"g\"]")]
    [TestCase("get_group", "[\"g\"]")]
    [TestCase("relay", "[\"g\",\"u\",{}]")]
    public async Task Methods_before_init_are_refused(string method, string parameters)
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri, init: false);
        Assert.That(await ua.ErrorCodeAsync(method, parameters), Is.EqualTo(-32001));
    }

    [TestCase("create", "[\"5\"]")]
    [TestCase("create", "[16]")]
    [TestCase("create", "[-1]")]
    [TestCase("create", "[1.5]")]
    [TestCase("create", "[true]")]
    [TestCase("create", "[1,2]")]
    [TestCase("join", "[]")]
    [TestCase("join", "[1]")]
    [TestCase("join", "[\"g\",\"h\"]")]
    [TestCase("leave", "[null]")]
    [TestCase("get_members", "[]")]
    [TestCase("get_group", "[{}]")]
    [TestCase("relay", "[\"g\",\"u\"]")]
    [TestCase("relay", "[\"g\",5,{}]")]
    [TestCase("relay", "[\"g\",\"u\",{},4]")]
    public async Task Wrong_params_are_invalid_params(string method, string parameters)
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri);
        Assert.That(await ua.ErrorCodeAsync(method, parameters), Is.EqualTo(-32602));
    }

    [Test]
    public async Task A_relay_to_oneself_is_invalid_params()
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri);
        var group = (await ua.CallAsync("create", "[]")).GetProperty("result").GetString();
        Assert.That(await ua.ErrorCodeAsync("relay", $"[\"{group}\",\"{ua.UserId}\",{{}}]"), Is.EqualTo(-32602));
    }

    [TestCase("join")]
    [TestCase("leave")]
    [TestCase("get_members")]
    [TestCase("get_group")]
    public async Task Unknown_groups_are_group_not_found(string method)
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri);
        Assert.That(await ua.ErrorCodeAsync(method, "[\"00000000000000000000000000000000\"]"), Is.EqualTo(-32002));
    }

    [Test]
    public async Task Relay_in_an_unknown_group_is_group_not_found()
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri);
        await using var ub = await RawClient.ConnectAsync(_server.Uri);
        Assert.That(await ua.ErrorCodeAsync("relay", $"[\"nope\",\"{ub.UserId}\",1]"), Is.EqualTo(-32002));
    }

    [TestCase("leave")]
    [TestCase("get_members")]
    [TestCase("get_group")]
    public async Task Non_members_are_refused(string method)
    {
        await using var owner = await RawClient.ConnectAsync(_server.Uri);
        await using var stranger = await RawClient.ConnectAsync(_server.Uri);
        var group = (await owner.CallAsync("create", "[]")).GetProperty("result").GetString();
        Assert.That(await stranger.ErrorCodeAsync(method, $"[\"{group}\"]"), Is.EqualTo(-32003));
    }

    [Test]
    public async Task A_relay_from_a_non_member_is_not_member()
    {
        await using var owner = await RawClient.ConnectAsync(_server.Uri);
        await using var stranger = await RawClient.ConnectAsync(_server.Uri);
        var group = (await owner.CallAsync("create", "[]")).GetProperty("result").GetString();
        Assert.That(await stranger.ErrorCodeAsync("relay", $"[\"{group}\",\"{owner.UserId}\",{{\"type\":\"offer\",\"sdp\":\"\"}}]"), Is.EqualTo(-32003));
        Assert.That(owner.Unclaimed(), Is.Empty, "nothing reached the member");
    }

    [Test]
    public async Task A_relay_to_a_non_member_is_target_unavailable()
    {
        await using var owner = await RawClient.ConnectAsync(_server.Uri);
        await using var stranger = await RawClient.ConnectAsync(_server.Uri);
        var group = (await owner.CallAsync("create", "[]")).GetProperty("result").GetString();
        Assert.That(await owner.ErrorCodeAsync("relay", $"[\"{group}\",\"{stranger.UserId}\",1]"), Is.EqualTo(-32004));
        Assert.That(await owner.ErrorCodeAsync("relay", $"[\"{group}\",\"ffffffffffffffffffffffffffffffff\",1]"), Is.EqualTo(-32004));
        Assert.That(stranger.Unclaimed(), Is.Empty, "nothing reached the stranger");
    }

    [Test]
    public async Task An_oversized_request_gets_message_too_large_on_its_id_and_the_connection_stays_up()
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri);
        await using var ub = await RawClient.ConnectAsync(_server.Uri);
        var group = (await ua.CallAsync("create", "[]")).GetProperty("result").GetString();
        await ub.CallAsync("join", $"[\"{group}\"]");
        await ua.NotificationAsync("member_joined");
        var big = new string('x', 200 * 1024);
        var response = await ua.CallAsync("relay", $"[\"{group}\",\"{ub.UserId}\",\"{big}\"]");
        Assert.That(response.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32006));

        var noId = await ua.SendAndReceiveAsync("[" + new string('1', 100 * 1024) + "]");
        Assert.That(noId.GetProperty("id").GetRawText(), Is.EqualTo("null"));
        Assert.That(noId.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32006));

        Assert.That((await ua.CallAsync("get_members", $"[\"{group}\"]")).TryGetProperty("result", out _), Is.True);
    }

    [Test]
    public async Task An_oversized_relay_answer_fails_the_relay_for_its_sender()
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri);
        await using var ub = await RawClient.ConnectAsync(_server.Uri);
        var group = (await ua.CallAsync("create", "[]")).GetProperty("result").GetString();
        await ub.CallAsync("join", $"[\"{group}\"]");
        var relay = ua.CallAsync("relay", $"[\"{group}\",\"{ub.UserId}\",1]");
        var request = await ub.RelayRequestAsync();
        await ub.AnswerAsync(request, $"\"result\":\"{new string('y', 100 * 1024)}\"");
        Assert.That((await relay).GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32006));
        Assert.That(ub.Unclaimed(), Is.Empty, "the answerer gets no error response to its response");
    }

    [Test]
    public async Task Binary_messages_are_invalid_requests()
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri);
        await ua.SendAsync(Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"init\"}"), WebSocketMessageType.Binary);
        var response = await ua.ExpectAsync(_ => true);
        Assert.That(response.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32600));
    }

    [Test]
    public async Task Too_many_groups_is_refused()
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri);
        for (var i = 0; i < 3; i++)
        {
            await ua.CallAsync("create", "[]");
        }

        Assert.That(await ua.ErrorCodeAsync("create", "[]"), Is.EqualTo(-32008));
        await using var owner = await RawClient.ConnectAsync(_server.Uri);
        var group = (await owner.CallAsync("create", "[]")).GetProperty("result").GetString();
        Assert.That(await ua.ErrorCodeAsync("join", $"[\"{group}\"]"), Is.EqualTo(-32008));
    }

    [Test]
    public async Task A_misbehaving_client_does_not_disturb_others()
    {
        await using var ua = await RawClient.ConnectAsync(_server.Uri);
        await using var ub = await RawClient.ConnectAsync(_server.Uri);
        await using var vandal = await RawClient.ConnectAsync(_server.Uri);
        var group = (await ua.CallAsync("create", "[]")).GetProperty("result").GetString();
        await ub.CallAsync("join", $"[\"{group}\"]");
        await ua.NotificationAsync("member_joined");
        await vandal.SendAsync("{{{{");
        await vandal.SendAsync(new string('[', 5000));
        await vandal.SendAsync("[" + new string('0', 300 * 1024) + "]");
        await vandal.SendAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"forged\":true}}");
        await vandal.SendAsync($"{{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"relay\",\"params\":[\"{group}\",\"{ua.UserId}\",1]}}");

        var relay = ub.CallAsync("relay", $"[\"{group}\",\"{ua.UserId}\",{{\"type\":\"offer\",\"sdp\":\"x\"}}]");
        var request = await ua.RelayRequestAsync();
        Assert.That(request.GetProperty("params")[1].GetString(), Is.EqualTo(ub.UserId));
        await ua.AnswerAsync(request, "\"result\":{\"type\":\"answer\",\"sdp\":\"y\"}");
        Assert.That((await relay).GetProperty("result").GetProperty("sdp").GetString(), Is.EqualTo("y"));
        Assert.That(ua.Unclaimed(), Is.Empty);
        await vandal.SendAsync("""{"jsonrpc":"2.0","id":"last","method":"init","params":[]}""");
        var last = await vandal.ExpectAsync(m => m.GetProperty("id").ValueKind == System.Text.Json.JsonValueKind.String);
        Assert.That(last.GetProperty("result").GetString(), Is.EqualTo(vandal.UserId), "the vandal's own connection survives too");
    }
}
