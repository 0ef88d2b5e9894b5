using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;
using P2p.Core.Mesh;
using P2p.Core.Tests.Support;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Tests.Integration;

/// <summary>A transport that asks for ICE servers gets the signaling server's in every connection's context, kept fresh.</summary>
[CancelAfter(20_000)]
public class IceServersFromSignalingTests
{
    [Test]
    public async Task Every_connection_of_a_transport_that_asks_gets_the_servers_from_signaling_on_both_sides()
    {
        var hub = new InProcessSignalingHub { IceServers = user => [Turn(DateTimeOffset.UtcNow.AddHours(1), user)] };
        var network = new RecordingTransport(new InMemoryNetwork(), iceServersFromSignaling: true);

        await using var alice = await Group.CreateAsync(hub.Connect(), network, GroupCapability.All);
        await using var bob = await Group.JoinAsync(hub.Connect(), network, alice.Id);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await bob.WhenAllConnectedAsync(timeout.Token);

        Assert.That(network.Contexts, Has.Count.GreaterThanOrEqualTo(2));
        foreach (var context in network.Contexts)
        {
            Assert.That(context.IceServers, Has.Count.EqualTo(1));
            Assert.That(context.IceServers[0].Username, Does.EndWith(":" + context.LocalUserId), "each member's own credentials");
        }

        Assert.That(network.Contexts.Select(c => c.Role).Distinct(), Is.EquivalentTo(new[] { PeerConnectionRole.Offerer, PeerConnectionRole.Answerer }));
    }

    [Test]
    public async Task A_transport_that_does_not_ask_gets_no_servers_and_the_method_is_never_called()
    {
        var calls = 0;
        var hub = new InProcessSignalingHub
        {
            IceServers = user =>
            {
                Interlocked.Increment(ref calls);
                return [Turn(DateTimeOffset.UtcNow.AddHours(1), user)];
            },
        };
        var network = new RecordingTransport(new InMemoryNetwork(), iceServersFromSignaling: false);
        await using var alice = await Group.CreateAsync(hub.Connect(), network, GroupCapability.All);
        await using var bob = await Group.JoinAsync(hub.Connect(), network, alice.Id);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await bob.WhenAllConnectedAsync(timeout.Token);
        Assert.That(network.Contexts.All(c => c.IceServers.Count == 0), Is.True);
        Assert.That(calls, Is.Zero);
    }

    [Test]
    public async Task A_signaling_server_without_the_method_fails_the_join_with_a_clear_error()
    {
        var hub = new InProcessSignalingHub();
        await using var service = new P2pService(hub.Connect(), new RecordingTransport(new InMemoryNetwork(), iceServersFromSignaling: true));
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await service.CreateGroupAsync(GroupCapability.All));
        Assert.That(ex!.Code, Is.EqualTo(SignalingErrorCode.MethodNotFound));
        Assert.That(ex.Message, Does.Contain("IceServersFromSignaling").And.Contain("get_ice_servers"));
        Assert.That(service.Info, Is.Null, "not joined: a later call tries again");
    }

    [Test]
    public async Task The_cache_fetches_again_when_half_of_the_credentials_lifetime_has_passed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var fetched = 0;
        var signaling = new Mock<ISignalingChannel>();
        signaling.Setup(s => s.GetIceServersAsync(It.IsAny<CancellationToken>()))
            .Returns(() => Task.FromResult<IReadOnlyList<IceServerPayload>>([Turn(time.GetUtcNow().AddHours(2), "u" + Interlocked.Increment(ref fetched))]));
        using var cache = new IceServerCache(signaling.Object, time, NullLogger.Instance);
        await cache.InitializeAsync(CancellationToken.None);
        Assert.That(cache.Current.Single().Username, Does.EndWith(":u1"));

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.That(fetched, Is.EqualTo(1), "still fresh");
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.That(fetched, Is.EqualTo(2), "fetched at half of the 2 h lifetime");
        Assert.That(cache.Current.Single().Username, Does.EndWith(":u2"), "new connections get the new credentials");
        Assert.That(cache.Expiry, Is.EqualTo(time.GetUtcNow().AddHours(2)).Within(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public async Task A_failed_refresh_keeps_the_last_servers_and_tries_again_later()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var fail = false;
        var signaling = new Mock<ISignalingChannel>();
        signaling.Setup(s => s.GetIceServersAsync(It.IsAny<CancellationToken>()))
            .Returns(() => fail
                ? Task.FromException<IReadOnlyList<IceServerPayload>>(new SignalingException(SignalingErrorCode.RequestTimeout, "no answer"))
                : Task.FromResult<IReadOnlyList<IceServerPayload>>([Turn(time.GetUtcNow().AddHours(2), "x")]));
        using var cache = new IceServerCache(signaling.Object, time, NullLogger.Instance);
        await cache.InitializeAsync(CancellationToken.None);
        var first = cache.Current;

        fail = true;
        time.Advance(TimeSpan.FromHours(1));
        Assert.That(cache.Current, Is.SameAs(first));
        signaling.Verify(s => s.GetIceServersAsync(It.IsAny<CancellationToken>()), Times.Exactly(2));

        fail = false;
        time.Advance(IceServerCache.RetryDelay);
        signaling.Verify(s => s.GetIceServersAsync(It.IsAny<CancellationToken>()), Times.Exactly(3));
        Assert.That(cache.Current, Is.Not.SameAs(first));
    }

    [Test]
    public async Task Servers_without_an_expiry_are_fetched_again_hourly()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var signaling = new Mock<ISignalingChannel>();
        signaling.Setup(s => s.GetIceServersAsync(It.IsAny<CancellationToken>()))
            .ReturnsAsync([new IceServerPayload(["turn:198.51.100.1"], "static", "password")]);
        using var cache = new IceServerCache(signaling.Object, time, NullLogger.Instance);
        await cache.InitializeAsync(CancellationToken.None);
        Assert.That(cache.Expiry, Is.Null);
        time.Advance(IceServerCache.UnknownLifetimeRefresh);
        signaling.Verify(s => s.GetIceServersAsync(It.IsAny<CancellationToken>()), Times.Exactly(2));
    }

    [Test]
    public void Turn_rest_expiry_is_read_from_the_user_name_only_when_it_follows_the_convention()
    {
        Assert.That(new IceServerPayload(["turn:x"], "1700000000:alice", "c").TryGetTurnRestExpiry(), Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(1700000000)));
        Assert.That(new IceServerPayload(["turn:x"], "1700000000", "c").TryGetTurnRestExpiry(), Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(1700000000)));
        Assert.That(new IceServerPayload(["turn:x"], "alice", "c").TryGetTurnRestExpiry(), Is.Null);
        Assert.That(new IceServerPayload(["turn:x"], "17x:alice", "c").TryGetTurnRestExpiry(), Is.Null);
        Assert.That(new IceServerPayload(["stun:x"]).TryGetTurnRestExpiry(), Is.Null);
    }

    [Test]
    public void The_credential_never_shows_in_the_text_of_a_server()
    {
        var server = new IceServerPayload(["turn:198.51.100.1"], "1700000000:alice", "TOP-SECRET");
        Assert.That(server.ToString(), Does.Not.Contain("TOP-SECRET").And.Contain("1700000000:alice"));
    }

    private static IceServerPayload Turn(DateTimeOffset expiry, string user) =>
        new(["turn:198.51.100.1:3478"], $"{expiry.ToUnixTimeSeconds()}:{user}", "credential-" + user);

    /// <summary>Records what each connection was created with.</summary>
    private sealed class RecordingTransport(IPeerConnectionFactory inner, bool iceServersFromSignaling) : IPeerConnectionFactory
    {
        private readonly ConcurrentQueue<PeerConnectionContext> _contexts = new();

        public IReadOnlyList<PeerConnectionContext> Contexts => [.. _contexts];

        public bool IceServersFromSignaling => iceServersFromSignaling;

        public IPeerConnection CreateConnection(PeerConnectionContext context)
        {
            _contexts.Enqueue(context);
            return inner.CreateConnection(context);
        }
    }
}
