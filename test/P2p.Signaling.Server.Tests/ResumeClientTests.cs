using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Tests.Support;
using P2p.Signaling.WebSockets;
using P2p.Testing;

namespace P2p.Signaling.Server.Tests;

/// <summary><see cref="WebSocketSignalingChannel"/> riding out outages against the real server (reconnect + resume).</summary>
public class ResumeClientTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static JsonElement Json(string json) => JsonElement.Parse(json);

    private static Task<WebSocketSignalingChannel> ConnectAsync(EmbeddedSignalingServer server, WebSocketSignalingChannelOptions? options = null) =>
        WebSocketSignalingChannel.ConnectAsync(server.Uri, options);

    /// <summary>Kills a member's connection on the server side, as a network failure would (no close handshake).</summary>
    private static void Drop(EmbeddedSignalingServer server, string userId) =>
        Assert.That(server.Services.GetRequiredService<SignalingHub>().AbortConnection(userId), Is.True);

    private static Task NextAsync(Action<Action> subscribe)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        subscribe(() => done.TrySetResult());
        return done.Task.WaitAsync(Wait);
    }

    private static Task<SignalingClosedEventArgs> ClosedAsync(WebSocketSignalingChannel channel)
    {
        var closed = new TaskCompletionSource<SignalingClosedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Closed += (_, e) => closed.TrySetResult(e);
        return closed.Task.WaitAsync(Wait);
    }

    private static Func<RelayRequest, CancellationToken, ValueTask<JsonElement>> Echo(string name) =>
        (relay, _) => ValueTask.FromResult(Json($"\"{name}:{relay.Data.GetRawText().Replace("\"", "", StringComparison.Ordinal)}\""));

    [Test]
    public async Task An_abrupt_drop_is_resumed_with_the_same_id_and_groups_and_nobody_is_told()
    {
        await using var server = await TestServer.StartAsync();
        await using var a = await ConnectAsync(server);
        await using var b = await ConnectAsync(server);
        a.RelayHandler = Echo("a");
        b.RelayHandler = Echo("b");
        var idA = await a.InitAsync();
        var idB = await b.InitAsync();
        var group = await a.CreateGroupAsync(5);
        await b.JoinGroupAsync(group);
        var leftAtA = 0;
        var joinedAtA = 0;
        a.MemberLeft += (_, _) => Interlocked.Increment(ref leftAtA);
        a.MemberJoined += (_, _) => Interlocked.Increment(ref joinedAtA);
        var reconnecting = new TaskCompletionSource<SignalingReconnectingEventArgs>();
        b.Reconnecting += (_, e) => reconnecting.TrySetResult(e);
        var reconnected = NextAsync(done => b.Reconnected += (_, _) => done());

        var clock = Stopwatch.StartNew();
        Drop(server, idB);
        var why = await reconnecting.Task.WaitAsync(Wait);
        await reconnected;
        var elapsed = clock.Elapsed;
        TestContext.Out.WriteLine($"drop → Reconnected: {elapsed.TotalMilliseconds:0.0} ms ({why.Reason})");

        Assert.That(b.UserId, Is.EqualTo(idB));
        Assert.That(b.IsConnected, Is.True);
        Assert.That(b.IsClosed, Is.False);
        Assert.That(await b.GetMembersAsync(group), Is.EqualTo(new[] { idA, idB }));
        Assert.That((await a.RelayAsync(group, idB, Json("1"))).GetString(), Is.EqualTo("b:1"));
        Assert.That((await b.RelayAsync(group, idA, Json("2"))).GetString(), Is.EqualTo("a:2"));
        Assert.That((leftAtA, joinedAtA), Is.EqualTo((0, 0)), "no member_left/member_joined for a resumed member");
    }

    [Test]
    public async Task Calls_pending_when_the_socket_drops_fail_at_once_with_reconnecting()
    {
        await using var server = await TestServer.StartAsync();
        await using var a = await ConnectAsync(server);
        var options = new WebSocketSignalingChannelOptions { ReconnectTimeout = TimeSpan.FromSeconds(20) };
        await using var b = await ConnectAsync(server, options);
        var idA = await a.InitAsync();
        var idB = await b.InitAsync();
        var group = await a.CreateGroupAsync(null);
        await b.JoinGroupAsync(group);
        var never = new TaskCompletionSource<JsonElement>();
        a.RelayHandler = (_, _) => new ValueTask<JsonElement>(never.Task);
        var pending = b.RelayAsync(group, idA, Json("1"));
        var reconnecting = NextAsync(done => b.Reconnecting += (_, _) => done());
        var reconnected = NextAsync(done => b.Reconnected += (_, _) => done());

        Drop(server, idB);
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await pending.WaitAsync(Wait))!;
        Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.Reconnecting));
        await reconnecting;
        await reconnected;
        Assert.That(b.UserId, Is.EqualTo(idB));
        never.TrySetResult(Json("null"));
    }

    [Test]
    public async Task Calls_while_reconnecting_fail_fast_and_the_reconnect_timeout_closes_the_channel()
    {
        var server = await TestServer.StartAsync();
        var options = new WebSocketSignalingChannelOptions { ReconnectTimeout = TimeSpan.FromSeconds(1.5) };
        await using var a = await ConnectAsync(server, options);
        await a.InitAsync();
        var group = await a.CreateGroupAsync(null);
        var reconnecting = NextAsync(done => a.Reconnecting += (_, _) => done());
        var closed = ClosedAsync(a);

        await server.DisposeAsync(); // 1001 going away, and nobody answers afterwards
        await reconnecting;
        Assert.That(a.IsClosed, Is.False);
        Assert.That(a.IsConnected, Is.False);
        var clock = Stopwatch.StartNew();
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await a.GetMembersAsync(group))!;
        Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.Reconnecting));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "fails fast");

        var e = await closed;
        Assert.That(e.Reason, Does.Contain("could not resume"));
        Assert.That(a.IsClosed, Is.True);
        Assert.That((await Task.WhenAny(a.GetMembersAsync(group))).Exception!.InnerException, Is.InstanceOf<SignalingException>()
            .With.Property(nameof(SignalingException.Code)).EqualTo(SignalingErrorCode.ConnectionClosed));
    }

    [Test]
    public async Task Clients_resume_on_a_restarted_server_with_the_same_key()
    {
        var key = SignalingServerOptions.NewResumeKey();
        var first = await TestServer.StartAsync(resumeKey: key);
        var url = $"http://127.0.0.1:{first.Uri.Port}";
        await using var a = await ConnectAsync(first);
        await using var b = await ConnectAsync(first);
        a.RelayHandler = Echo("a");
        b.RelayHandler = Echo("b");
        var idA = await a.InitAsync();
        var idB = await b.InitAsync();
        var group = await a.CreateGroupAsync(6);
        await b.JoinGroupAsync(group);
        await b.GetGroupAsync(group); // b learns owner and capability too
        var resumedA = NextAsync(done => a.Reconnected += (_, _) => done());
        var resumedB = NextAsync(done => b.Reconnected += (_, _) => done());

        await first.DisposeAsync();
        await using var second = await TestServer.StartAsync(url: url, resumeKey: key);
        await Task.WhenAll(resumedA, resumedB);

        Assert.That((a.UserId, b.UserId), Is.EqualTo((idA, idB)));
        await using var c = await ConnectAsync(second);
        var idC = await c.InitAsync();
        await c.JoinGroupAsync(group);
        var info = await c.GetGroupAsync(group);
        Assert.That((info.Owner, info.Capability), Is.EqualTo((idA, 6)));
        Assert.That(info.Members, Is.EquivalentTo(new[] { idA, idB, idC }));
        Assert.That((await c.RelayAsync(group, idA, Json("3"))).GetString(), Is.EqualTo("a:3"));
        Assert.That((await a.RelayAsync(group, idB, Json("4"))).GetString(), Is.EqualTo("b:4"));
    }

    /// <summary>Refuses every join of one group (a restarted server's adoption of a claimed group is a join).</summary>
    private sealed class RefuseGroup(string refused) : Authorization.ISignalingAuthorizer
    {
        public ValueTask<bool> CanCreateAsync(Authorization.SignalingAuthorizationContext context, int capability, CancellationToken cancellationToken) =>
            ValueTask.FromResult(true);

        public ValueTask<bool> CanJoinAsync(Authorization.SignalingAuthorizationContext context, string groupId, CancellationToken cancellationToken) =>
            ValueTask.FromResult(groupId != refused);
    }

    [Test]
    public async Task A_restarted_server_adopts_only_the_claimed_groups_its_authorizer_allows()
    {
        var key = SignalingServerOptions.NewResumeKey();
        var first = await TestServer.StartAsync(resumeKey: key);
        var url = $"http://127.0.0.1:{first.Uri.Port}";
        await using var a = await ConnectAsync(first);
        var idA = await a.InitAsync();
        var allowed = await a.CreateGroupAsync(null);
        var forbidden = await a.CreateGroupAsync(null);
        var resumed = NextAsync(done => a.Reconnected += (_, _) => done());

        await first.DisposeAsync();
        await using var second = await TestServer.StartAsync(
            url: url,
            resumeKey: key,
            services: s => s.AddSingleton<Authorization.ISignalingAuthorizer>(new RefuseGroup(forbidden)));
        await resumed;

        Assert.That(a.UserId, Is.EqualTo(idA));
        Assert.That(await a.GetMembersAsync(allowed), Is.EqualTo(new[] { idA }));
        var refused = Assert.ThrowsAsync<SignalingException>(() => a.GetMembersAsync(forbidden));
        Assert.That(refused!.Code, Is.EqualTo(SignalingErrorCode.GroupNotFound), "a group the authorizer refuses is not re-created by a resume");
    }

    [Test]
    public async Task A_restarted_server_with_another_key_refuses_and_the_channel_closes()
    {
        var first = await TestServer.StartAsync(resumeKey: SignalingServerOptions.NewResumeKey());
        var url = $"http://127.0.0.1:{first.Uri.Port}";
        await using var a = await ConnectAsync(first);
        await a.InitAsync();
        var closed = ClosedAsync(a);
        var reconnecting = NextAsync(done => a.Reconnecting += (_, _) => done());

        await first.DisposeAsync();
        await reconnecting;
        await using var second = await TestServer.StartAsync(url: url, resumeKey: SignalingServerOptions.NewResumeKey());
        var e = await closed;
        Assert.That(e.Reason, Does.Contain("resume refused"));
        Assert.That(e.Exception, Is.InstanceOf<SignalingException>().With.Property(nameof(SignalingException.Code)).EqualTo(SignalingErrorCode.ResumeRefused));
    }

    [Test]
    public async Task Without_reconnect_a_drop_closes_the_channel()
    {
        await using var server = await TestServer.StartAsync();
        await using var a = await ConnectAsync(server, new WebSocketSignalingChannelOptions { Reconnect = false });
        var id = await a.InitAsync();
        var closed = ClosedAsync(a);
        Drop(server, id);
        await closed;
        Assert.That(a.IsClosed, Is.True);
    }

    [Test]
    public async Task Disposing_while_reconnecting_stops_at_once()
    {
        var server = await TestServer.StartAsync();
        var a = await ConnectAsync(server);
        await a.InitAsync();
        var reconnecting = NextAsync(done => a.Reconnecting += (_, _) => done());
        var closed = ClosedAsync(a);
        await server.DisposeAsync();
        await reconnecting;
        var clock = Stopwatch.StartNew();
        await a.DisposeAsync().AsTask().WaitAsync(Wait);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
        Assert.That((await closed).Reason, Does.Contain("disposed"));
    }

    [Test]
    public async Task Keep_alive_detects_a_silent_connection_on_both_sides_and_the_client_resumes()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
            o.KeepAliveTimeout = TimeSpan.FromMilliseconds(300);
        });
        await using var proxy = new FaultyTcpProxy(server.Uri);
        await using var a = await ConnectAsync(server);
        var options = new WebSocketSignalingChannelOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(100), KeepAliveTimeout = TimeSpan.FromMilliseconds(300) };
        await using var b = await WebSocketSignalingChannel.ConnectAsync(proxy.Uri, options);
        b.RelayHandler = Echo("b");
        await a.InitAsync();
        var idB = await b.InitAsync();
        var group = await a.CreateGroupAsync(null);
        await b.JoinGroupAsync(group);
        var reconnecting = new TaskCompletionSource<SignalingReconnectingEventArgs>();
        b.Reconnecting += (_, e) => reconnecting.TrySetResult(e);
        var reconnected = NextAsync(done => b.Reconnected += (_, _) => done());

        proxy.Stall(); // nothing flows, nothing closes: only the pings' missing pongs tell
        var relay = Assert.ThrowsAsync<SignalingException>(async () => await a.RelayAsync(group, idB, Json("1")).WaitAsync(Wait))!;
        Assert.That(relay.Code, Is.EqualTo(SignalingErrorCode.TargetUnavailable), "the server dropped the silent connection (not the 30 s relay timeout)");
        var why = await reconnecting.Task.WaitAsync(Wait);
        TestContext.Out.WriteLine($"client noticed: {why.Reason}");

        proxy.Restore();
        await reconnected;
        Assert.That(b.UserId, Is.EqualTo(idB));
        Assert.That((await a.RelayAsync(group, idB, Json("2"))).GetString(), Is.EqualTo("b:2"));
    }
}
