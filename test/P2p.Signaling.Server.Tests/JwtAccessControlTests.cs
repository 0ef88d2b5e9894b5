using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Authorization;
using P2p.Signaling.Server.Tests.Support;
using P2p.Signaling.WebSockets;
using P2p.Testing;

namespace P2p.Signaling.Server.Tests;

/// <summary>
/// End to end: an ASP.NET Core host with JwtBearer and <c>MapP2pSignaling("/").RequireAuthorization(policy)</c>
/// (<see cref="JwtSignalingHost"/>), and <see cref="WebSocketSignalingChannelOptions.AccessTokenProvider"/>.
/// </summary>
public class JwtAccessControlTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>Lets a user join only the groups named by its token's <c>group</c> claims, and remembers the principals it saw.</summary>
    private sealed class ClaimsAuthorizer : ISignalingAuthorizer
    {
        public ConcurrentQueue<SignalingAuthorizationContext> Seen { get; } = new();

        public ValueTask<bool> CanCreateAsync(SignalingAuthorizationContext context, int capability, CancellationToken cancellationToken)
        {
            Seen.Enqueue(context);
            return ValueTask.FromResult(context.User.HasClaim("role", "owner"));
        }

        public ValueTask<bool> CanJoinAsync(SignalingAuthorizationContext context, string groupId, CancellationToken cancellationToken)
        {
            Seen.Enqueue(context);
            return ValueTask.FromResult(context.User.HasClaim("group", groupId));
        }
    }

    private static WebSocketSignalingChannelOptions WithToken(Func<string?> token) =>
        new() { AccessTokenProvider = _ => ValueTask.FromResult(token()) };

    [Test]
    public async Task Without_a_token_the_connection_is_refused_with_an_exception_naming_401()
    {
        await using var host = await JwtSignalingHost.StartAsync();
        var ex = Assert.ThrowsAsync<SignalingException>(() => WebSocketSignalingChannel.ConnectAsync(host.Uri).WaitAsync(Wait));
        Assert.That(ex!.Code, Is.EqualTo(SignalingErrorCode.Forbidden));
        Assert.That(ex.Message, Does.Contain("401"));
        Assert.That(ex.Message, Does.Contain("AccessTokenProvider"));
    }

    [Test]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        await using var host = await JwtSignalingHost.StartAsync();
        var otherKey = new SymmetricSecurityKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var ex = Assert.ThrowsAsync<SignalingException>(() => WebSocketSignalingChannel.ConnectAsync(host.Uri, WithToken(() => host.Token(key: otherKey))).WaitAsync(Wait));
        Assert.That(ex!.Code, Is.EqualTo(SignalingErrorCode.Forbidden));
        Assert.That(ex.Message, Does.Contain("401"));
    }

    [Test]
    public async Task An_expired_token_is_refused()
    {
        await using var host = await JwtSignalingHost.StartAsync();
        var ex = Assert.ThrowsAsync<SignalingException>(() => WebSocketSignalingChannel.ConnectAsync(host.Uri, WithToken(() => host.Token(lifetime: TimeSpan.FromMinutes(-1)))).WaitAsync(Wait));
        Assert.That(ex!.Code, Is.EqualTo(SignalingErrorCode.Forbidden));
        Assert.That(ex.Message, Does.Contain("401"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task A_valid_token_from_the_provider_is_let_in(bool explicitMiddleware)
    {
        await using var host = await JwtSignalingHost.StartAsync(explicitMiddleware: explicitMiddleware);
        await using var a = await WebSocketSignalingChannel.ConnectAsync(host.Uri, WithToken(() => host.Token("alice")));
        await using var b = await WebSocketSignalingChannel.ConnectAsync(host.Uri, WithToken(() => host.Token("bob")));
        await a.InitAsync();
        var idB = await b.InitAsync();
        b.RelayHandler = (relay, _) => ValueTask.FromResult(relay.Data);
        var group = await a.CreateGroupAsync(null);
        await b.JoinGroupAsync(group);
        var echo = await a.RelayAsync(group, idB, System.Text.Json.JsonElement.Parse("42"));
        Assert.That(echo.GetInt32(), Is.EqualTo(42));
    }

    [Test]
    public async Task A_token_in_the_access_token_query_parameter_is_let_in_as_browsers_send_it()
    {
        await using var host = await JwtSignalingHost.StartAsync();
        await using var ua = await RawClient.ConnectAsync(new Uri(host.Uri, "/?access_token=" + Uri.EscapeDataString(host.Token())));
        Assert.That(ua.UserId, Is.Not.Empty);
    }

    [Test]
    public async Task The_authorizer_sees_the_tokens_claims_and_refuses_one_groups_join_while_others_work()
    {
        var authorizer = new ClaimsAuthorizer();
        await using var host = await JwtSignalingHost.StartAsync(s => s.AddSingleton<ISignalingAuthorizer>(authorizer));
        await using var owner = await WebSocketSignalingChannel.ConnectAsync(host.Uri, WithToken(() => host.Token("olga", null, null, new Claim("role", "owner"))));
        await owner.InitAsync();
        var allowed = await owner.CreateGroupAsync(null);
        var secret = await owner.CreateGroupAsync(null);
        await using var guest = await WebSocketSignalingChannel.ConnectAsync(host.Uri, WithToken(() => host.Token("gus", null, null, new Claim("group", allowed))));
        var guestId = await guest.InitAsync();

        await guest.JoinGroupAsync(allowed);
        var refused = Assert.ThrowsAsync<SignalingException>(() => guest.JoinGroupAsync(secret));
        Assert.That(refused!.Code, Is.EqualTo(SignalingErrorCode.Forbidden));
        Assert.That(refused.Message, Does.Contain($"not allowed to join group '{secret}'"));
        var notOwner = Assert.ThrowsAsync<SignalingException>(() => guest.CreateGroupAsync(null));
        Assert.That(notOwner!.Code, Is.EqualTo(SignalingErrorCode.Forbidden));
        Assert.That(await owner.GetMembersAsync(allowed), Does.Contain(guestId));

        var seenGuest = authorizer.Seen.Where(c => c.UserId == guestId).ToList();
        Assert.That(seenGuest, Has.Count.EqualTo(3));
        Assert.That(seenGuest.Select(c => c.User.FindFirst("sub")?.Value), Is.All.EqualTo("gus"));
        Assert.That(seenGuest[0].User.Identity!.IsAuthenticated, Is.True);
        Assert.That(seenGuest[0].RemoteAddress, Is.EqualTo(System.Net.IPAddress.Loopback));
    }

    [Test]
    public async Task The_provider_is_asked_again_on_reconnect_and_a_refused_reconnect_closes_the_channel()
    {
        await using var host = await JwtSignalingHost.StartAsync();
        await using var proxy = new FaultyTcpProxy(host.Uri);
        var calls = 0;
        var valid = true;
        var options = new WebSocketSignalingChannelOptions
        {
            AccessTokenProvider = _ =>
            {
                Interlocked.Increment(ref calls);
                return ValueTask.FromResult<string?>(Volatile.Read(ref valid) ? host.Token("rita") : "not-a-jwt");
            },
        };
        await using var channel = await WebSocketSignalingChannel.ConnectAsync(proxy.Uri, options);
        var id = await channel.InitAsync();
        var group = await channel.CreateGroupAsync(null);
        Assert.That(calls, Is.EqualTo(1));

        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Reconnected += (_, _) => reconnected.TrySetResult();
        proxy.Drop();
        proxy.Restore();
        await reconnected.Task.WaitAsync(Wait);
        Assert.That(calls, Is.GreaterThanOrEqualTo(2), "asked again for the reconnection");
        Assert.That(await channel.GetMembersAsync(group), Is.EqualTo(new[] { id }));

        var closed = new TaskCompletionSource<SignalingClosedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Closed += (_, e) => closed.TrySetResult(e);
        Volatile.Write(ref valid, false);
        var before = Volatile.Read(ref calls);
        proxy.Drop();
        proxy.Restore();
        var why = await closed.Task.WaitAsync(Wait);
        Assert.That(why.Reason, Does.Contain("401"));
        Assert.That(why.Exception, Is.InstanceOf<SignalingException>().With.Property(nameof(SignalingException.Code)).EqualTo(SignalingErrorCode.Forbidden));
        Assert.That(Volatile.Read(ref calls), Is.GreaterThan(before));
        Assert.That(channel.IsClosed, Is.True);
    }

    [Test]
    public async Task A_resume_token_works_only_for_the_authenticated_user_it_was_issued_to()
    {
        await using var host = await JwtSignalingHost.StartAsync();
        await using var proxy = new FaultyTcpProxy(host.Uri);
        var subject = "alice";
        var options = WithToken(() => host.Token(Volatile.Read(ref subject)));
        await using var channel = await WebSocketSignalingChannel.ConnectAsync(proxy.Uri, options);
        var id = await channel.InitAsync();
        await channel.CreateGroupAsync(null);

        // Alice's connection drops and comes back as Alice: resumed.
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Reconnected += (_, _) => reconnected.TrySetResult();
        proxy.Drop();
        proxy.Restore();
        await reconnected.Task.WaitAsync(Wait);
        Assert.That(channel.UserId, Is.EqualTo(id));

        // The same resume token presented by another authenticated user (Mallory holds Alice's token): refused.
        var closed = new TaskCompletionSource<SignalingClosedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Closed += (_, e) => closed.TrySetResult(e);
        Volatile.Write(ref subject, "mallory");
        proxy.Drop();
        proxy.Restore();
        var why = await closed.Task.WaitAsync(Wait);
        Assert.That(why.Exception, Is.InstanceOf<SignalingException>().With.Property(nameof(SignalingException.Code)).EqualTo(SignalingErrorCode.ResumeRefused));
        Assert.That(why.Reason, Does.Contain("another authenticated user"));
    }
}
