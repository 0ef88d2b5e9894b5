using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets.Tests.Support;

namespace P2p.Signaling.WebSockets.Tests;

/// <summary><c>GetIceServersAsync</c> against a scripted server: the request, the browser-shaped answer, bad answers.</summary>
public class GetIceServersTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private ScriptedServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await ScriptedServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task It_sends_get_ice_servers_without_params_and_decodes_the_browser_shape()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var call = channel.GetIceServersAsync();
        var request = await server.ReceiveJsonAsync();
        Assert.That(request.GetProperty("method").GetString(), Is.EqualTo("get_ice_servers"));
        Assert.That(request.GetProperty("params").GetRawText(), Is.EqualTo("[]"));
        await server.SendAsync("{\"jsonrpc\":\"2.0\",\"id\":" + request.GetProperty("id").GetRawText() + """
            ,"result":[{"urls":["stun:198.51.100.1:3478"]},{"urls":"turn:198.51.100.1?transport=tcp","username":"1700000000:u","credential":"c=","credentialType":"password"}]}
            """);
        var servers = await call.WaitAsync(Wait);
        Assert.That(servers, Has.Count.EqualTo(2));
        Assert.That(servers[0].Urls, Is.EqualTo(new[] { "stun:198.51.100.1:3478" }));
        Assert.That(servers[0].Username, Is.Null);
        Assert.That(servers[0].Credential, Is.Null);
        Assert.That(servers[1].Urls, Is.EqualTo(new[] { "turn:198.51.100.1?transport=tcp" }), "a single string is accepted, as browsers do");
        Assert.That(servers[1].Username, Is.EqualTo("1700000000:u"));
        Assert.That(servers[1].Credential, Is.EqualTo("c="));
    }

    [Test]
    public async Task An_empty_array_is_no_servers()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var call = channel.GetIceServersAsync();
        var request = await server.ReceiveJsonAsync();
        await server.SendAsync("{\"jsonrpc\":\"2.0\",\"id\":" + request.GetProperty("id").GetRawText() + ",\"result\":[]}");
        Assert.That(await call.WaitAsync(Wait), Is.Empty);
    }

    [TestCase("{}")]
    [TestCase("[{\"username\":\"u\"}]")]
    [TestCase("[{\"urls\":5}]")]
    [TestCase("[{\"urls\":[\"stun:x\",1]}]")]
    [TestCase("[{\"urls\":[\"turn:x\"],\"credential\":7}]")]
    [TestCase("null")]
    [TestCase("[{\"urls\":[\"stun:\\ud800\"]}]")] // found by fuzzing (fuzz/findings/signaling-client): a string that is no text
    [TestCase("[{\"urls\":\"turn:x\",\"username\":\"\\udc00\"}]")] // found by fuzzing
    public async Task A_wrong_shape_fails_the_call_with_invalid_response(string result)
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var call = channel.GetIceServersAsync();
        var request = await server.ReceiveJsonAsync();
        await server.SendAsync("{\"jsonrpc\":\"2.0\",\"id\":" + request.GetProperty("id").GetRawText() + ",\"result\":" + result + "}");
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await call.WaitAsync(Wait))!;
        Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.InvalidResponse));
    }

    [Test]
    public async Task A_server_without_the_method_fails_it_with_method_not_found()
    {
        var (channel, server) = await ConnectAsync();
        await using var _ = channel;
        var call = channel.GetIceServersAsync();
        var request = await server.ReceiveJsonAsync();
        await server.SendAsync("{\"jsonrpc\":\"2.0\",\"id\":" + request.GetProperty("id").GetRawText() + ",\"error\":{\"code\":-32601,\"message\":\"Method not found: 'get_ice_servers'.\"}}");
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await call.WaitAsync(Wait))!;
        Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.MethodNotFound));
    }

    private async Task<(WebSocketSignalingChannel Channel, ScriptedServer.ServerSide Server)> ConnectAsync()
    {
        var channel = await WebSocketSignalingChannel.ConnectAsync(_server.Uri, new WebSocketSignalingChannelOptions { Reconnect = false, CloseTimeout = TimeSpan.FromMilliseconds(100) });
        return (channel, await _server.AcceptAsync());
    }
}
