using System.Diagnostics;
using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets.Tests.Support;

namespace P2p.Signaling.WebSockets.Tests;

/// <summary><see cref="WebSocketSignalingChannelOptions.AccessTokenProvider"/> and refused upgrades, against the scripted server.</summary>
public class AccessTokenTests
{
    private ScriptedServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await ScriptedServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private static WebSocketSignalingChannelOptions Options(Func<CancellationToken, ValueTask<string?>>? provider) =>
        new() { Reconnect = false, CloseTimeout = TimeSpan.FromMilliseconds(100), AccessTokenProvider = provider };

    [Test]
    public async Task The_providers_token_is_sent_as_a_bearer_authorization_header_on_every_connect()
    {
        var calls = 0;
        var options = Options(_ => ValueTask.FromResult<string?>($"token-{Interlocked.Increment(ref calls)}"));
        await using (await WebSocketSignalingChannel.ConnectAsync(_server.Uri, options))
        {
            Assert.That((await _server.AcceptAsync()).Authorization, Is.EqualTo("Bearer token-1"));
        }

        await using (await WebSocketSignalingChannel.ConnectAsync(_server.Uri, options))
        {
            Assert.That((await _server.AcceptAsync()).Authorization, Is.EqualTo("Bearer token-2"));
        }
    }

    [TestCase(null)]
    [TestCase("")]
    public async Task No_token_sends_no_authorization_header(string? token)
    {
        await using var channel = await WebSocketSignalingChannel.ConnectAsync(_server.Uri, Options(_ => ValueTask.FromResult(token)));
        Assert.That((await _server.AcceptAsync()).Authorization, Is.Null);
    }

    [Test]
    public async Task Without_a_provider_no_authorization_header_is_sent()
    {
        await using var channel = await WebSocketSignalingChannel.ConnectAsync(_server.Uri, Options(null));
        Assert.That((await _server.AcceptAsync()).Authorization, Is.Null);
    }

    [Test]
    public void A_provider_that_throws_fails_the_connect_with_ConnectionClosed_and_its_exception()
    {
        var options = Options(_ => throw new InvalidOperationException("token service down"));
        var ex = Assert.ThrowsAsync<SignalingException>(() => WebSocketSignalingChannel.ConnectAsync(_server.Uri, options));
        Assert.That(ex!.Code, Is.EqualTo(SignalingErrorCode.ConnectionClosed));
        Assert.That(ex.Message, Does.Contain("access token provider failed").And.Contain("token service down"));
        Assert.That(ex.InnerException, Is.InstanceOf<InvalidOperationException>());
    }

    [TestCase(401, "Unauthorized")]
    [TestCase(403, "Forbidden")]
    public void A_refused_upgrade_fails_the_connect_at_once_with_Forbidden_naming_the_status(int status, string name)
    {
        _server.RefuseWith = status;
        var started = Stopwatch.GetTimestamp();
        var ex = Assert.ThrowsAsync<SignalingException>(() => WebSocketSignalingChannel.ConnectAsync(_server.Uri, Options(_ => ValueTask.FromResult<string?>("expired"))));
        Assert.That(ex!.Code, Is.EqualTo(SignalingErrorCode.Forbidden));
        Assert.That(ex.Message, Does.Contain($"HTTP {status} ({name})").And.Contain("check the access token"));
        Assert.That(Stopwatch.GetElapsedTime(started), Is.LessThan(TimeSpan.FromSeconds(5)), "no waiting for the connect timeout");
    }

    [Test]
    public void Another_refused_upgrade_stays_ConnectionClosed()
    {
        _server.RefuseWith = 404;
        var ex = Assert.ThrowsAsync<SignalingException>(() => WebSocketSignalingChannel.ConnectAsync(_server.Uri, Options(null)));
        Assert.That(ex!.Code, Is.EqualTo(SignalingErrorCode.ConnectionClosed));
        Assert.That(ex.Message, Does.Contain("404"));
    }
}
