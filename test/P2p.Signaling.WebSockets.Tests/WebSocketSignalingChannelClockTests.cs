using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets.Tests.Support;

namespace P2p.Signaling.WebSockets.Tests;

/// <summary>
/// The client's timers in virtual time: <see cref="WebSocketSignalingChannelOptions.TimeProvider"/> is a
/// <see cref="FakeTimeProvider"/> that only the test moves; real time is only spent awaiting, with a
/// guard, what the virtual clock has made due.
/// </summary>
public class WebSocketSignalingChannelClockTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private ScriptedServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await ScriptedServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task ACallFailsWithRequestTimeoutWhenTheFakeClockPassesIt()
    {
        var clock = new FakeTimeProvider();
        var options = new WebSocketSignalingChannelOptions { Reconnect = false, RequestTimeout = TimeSpan.FromSeconds(40), TimeProvider = clock };
        var channel = await WebSocketSignalingChannel.ConnectAsync(_server.Uri, options);
        var server = await _server.AcceptAsync();

        var call = channel.InitAsync();
        await server.ReceiveJsonAsync(); // the request is out: its deadline is set
        clock.Advance(TimeSpan.FromSeconds(39));
        Assert.That(call.IsCompleted, Is.False, "39 s of 40 have passed in virtual time");

        clock.Advance(TimeSpan.FromSeconds(1));
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await call.WaitAsync(Wait))!;
        Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.RequestTimeout));
        Assert.That(channel.IsClosed, Is.False, "a timed-out call leaves the channel open");

        await DisposeAsync(channel, clock, options.CloseTimeout);
    }

    [Test]
    public async Task CallsWithoutATimeoutNeverExpire()
    {
        var clock = new FakeTimeProvider();
        var options = new WebSocketSignalingChannelOptions { Reconnect = false, RequestTimeout = Timeout.InfiniteTimeSpan, TimeProvider = clock };
        var channel = await WebSocketSignalingChannel.ConnectAsync(_server.Uri, options);
        var server = await _server.AcceptAsync();

        var call = channel.InitAsync();
        var request = await server.ReceiveJsonAsync();
        clock.Advance(TimeSpan.FromDays(1));
        Assert.That(call.IsCompleted, Is.False);

        await server.SendAsync($$"""{"jsonrpc":"2.0","id":{{request.GetProperty("id").GetRawText()}},"result":"u"}""");
        Assert.That(await call.WaitAsync(Wait), Is.EqualTo("u"));
        await DisposeAsync(channel, clock, options.CloseTimeout);
    }

    [Test]
    public async Task DisposalGivesUpOnTheClosingHandshakeWhenTheFakeClockPassesCloseTimeout()
    {
        var clock = new FakeTimeProvider();
        var options = new WebSocketSignalingChannelOptions { Reconnect = false, CloseTimeout = TimeSpan.FromSeconds(2), TimeProvider = clock };
        var channel = await WebSocketSignalingChannel.ConnectAsync(_server.Uri, options);
        await _server.AcceptAsync(); // the scripted server never answers the close frame

        var dispose = channel.DisposeAsync().AsTask();
        clock.Advance(TimeSpan.FromSeconds(1.999));
        Assert.That(dispose.IsCompleted, Is.False, "still waiting for the server's close frame in virtual time");

        clock.Advance(TimeSpan.FromMilliseconds(1));
        await dispose.WaitAsync(Wait);
        Assert.That(channel.IsClosed, Is.True);
    }

    [Test]
    public async Task ConnectingGivesUpWhenTheFakeClockPassesConnectTimeout()
    {
        // A listener that accepts TCP but never answers the WebSocket upgrade.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = listener.AcceptTcpClientAsync();
        var clock = new FakeTimeProvider();
        var options = new WebSocketSignalingChannelOptions { Reconnect = false, ConnectTimeout = TimeSpan.FromSeconds(10), TimeProvider = clock };

        var connect = WebSocketSignalingChannel.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"), options);
        using var client = await accepted.WaitAsync(Wait);
        clock.Advance(TimeSpan.FromSeconds(9.999));
        Assert.That(connect.IsCompleted, Is.False, "9.999 s of 10 have passed in virtual time");

        clock.Advance(TimeSpan.FromMilliseconds(1));
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await connect.WaitAsync(Wait))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.ConnectionClosed));
            Assert.That(ex.Message, Does.Contain("no connection within"));
        });
    }

    [Test]
    public void ANullTimeProviderIsRejected()
    {
        var options = new WebSocketSignalingChannelOptions { Reconnect = false, TimeProvider = null! };
        Assert.ThrowsAsync<ArgumentNullException>(async () => await WebSocketSignalingChannel.ConnectAsync(_server.Uri, options));
    }

    /// <summary>Disposes the channel, moving the clock past the close timeout the scripted server makes it wait for.</summary>
    private static async Task DisposeAsync(WebSocketSignalingChannel channel, FakeTimeProvider clock, TimeSpan closeTimeout)
    {
        var dispose = channel.DisposeAsync().AsTask();
        clock.Advance(closeTimeout);
        await dispose.WaitAsync(Wait);
    }
}
