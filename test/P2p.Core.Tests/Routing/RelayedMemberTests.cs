using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using P2p.Core.Framing;
using P2p.Core.Identity;
using P2p.Core.Routing;
using P2p.Core.Tests.Support;

namespace P2p.Core.Tests.Routing;

/// <summary>
/// Members that cannot connect directly talk through a member connected to both (docs/protocol.md, "Relayed members
/// (extension)"), over the in-memory transport, with the real signaling server.
/// </summary>
[CancelAfter(60_000)]
public sealed class RelayedMemberTests
{
    private TestMesh? _mesh;

    /// <summary>On failure, the members' logs go to the test output.</summary>
    [TearDown]
    public void PrintLogOnFailure()
    {
        _mesh?.PrintLogIfTestFailed();

        _mesh = null;
    }

    [Test]
    public async Task Two_members_that_cannot_connect_exchange_broadcasts_requests_and_large_messages_through_a_third()
    {
        await using var mesh = await StartAsync();
        var (relay, a, b) = await FormRelayedAsync(mesh);

        await WaitRelayedAsync(b, a, relay);
        await a.Group.WhenAllConnectedAsync().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.That(a.Events, Does.Contain($"{b.Id} Relayed"));

        var result = await a.Group.BroadcastAsync("hello through a relay"u8.ToArray());
        Assert.That(result.Delivered.Select(p => p.Id), Is.EquivalentTo(new[] { relay.Id, b.Id }));
        await b.Changes.UntilAsync(() => b.Broadcasts.Any(m => m.From == a.Id), "b to receive a's broadcast");
        Assert.That(b.Broadcasts.Single(m => m.From == a.Id).Data, Is.EqualTo("hello through a relay"u8.ToArray()));

        var reply = await a.Group.UnicastAsync(b.Id, "ping"u8.ToArray());
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo($"{b.Id}:ping"));
        reply = await b.Group.UnicastAsync(a.Id, "pong"u8.ToArray());
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo($"{a.Id}:pong"));

        var large = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        reply = await a.Group.UnicastAsync(b.Id, large);
        Assert.That(reply.Span[(b.Id.Length + 1)..].SequenceEqual(large), "the 3 MiB request and its echo crossed the relay intact");
        Assert.That(relay.MeshGroup!.Router.ForwardedFrames, Is.GreaterThan(2 * large.Length / 65536));
    }

    [Test]
    public async Task When_the_relay_leaves_mid_transfer_another_takes_over_and_the_message_arrives_once()
    {
        await using var mesh = await StartAsync();
        var first = await mesh.CreateAsync();
        var second = await mesh.JoinAsync(first.Group.Id);
        var requests = new ConcurrentBag<int>();
        var a = await mesh.JoinAsync(first.Group.Id);
        await TestMesh.WaitForFullMeshAsync([first, second, a]);
        mesh.Network.Fault = OnlyThrough(a, first, second);
        var b = await mesh.JoinAsync(first.Group.Id, o => o.RequestHandler = (from, data, ct) =>
        {
            requests.Add(data.Length);
            return ValueTask.FromResult<ReadOnlyMemory<byte>>(SHA256.HashData(data.Span));
        });
        await a.Changes.UntilAsync(() => a.Group.GetMember(b.Id)?.State == PeerState.Relayed, "a to reach b through a relay");
        var used = a.Group.GetMember(b.Id)!.RelayedVia == first.Id ? first : second;
        var other = used == first ? second : first;

        var large = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        var transfer = a.Group.UnicastAsync(b.Id, large);
        await used.Group.LeaveAsync();
        var digest = await transfer;

        Assert.That(digest.ToArray(), Is.EqualTo(SHA256.HashData(large)));
        Assert.That(requests, Has.Count.EqualTo(1), "delivered exactly once");
        await a.Changes.UntilAsync(() => a.Group.GetMember(b.Id)?.RelayedVia == other.Id, "a to use the other relay");
        var again = await a.Group.UnicastAsync(b.Id, "after"u8.ToArray());
        Assert.That(again.ToArray(), Is.EqualTo(SHA256.HashData("after"u8)));
    }

    [Test]
    public async Task With_identity_keys_a_relay_that_alters_a_message_is_caught_and_avoided()
    {
        using var keyA = IdentityKey.Create();
        using var keyB = IdentityKey.Create();
        using var keyT = IdentityKey.Create();
        using var keyH = IdentityKey.Create();
        await using var mesh = await StartAsync();
        var tamperer = await mesh.CreateAsync(configure: WithKey(keyT, "tamperer"));
        var a = await mesh.JoinAsync(tamperer.Group.Id, WithKey(keyA, "alice"));
        await TestMesh.WaitForFullMeshAsync([tamperer, a]);
        var allowed = new ConcurrentDictionary<string, bool> { [tamperer.Id] = true };
        mesh.Network.Fault = OnlyThrough(a.Id, allowed);
        var b = await mesh.JoinAsync(tamperer.Group.Id, WithKey(keyB, "bob"));
        await WaitRelayedAsync(a, b, tamperer);
        Assert.That(a.Group.GetMember(b.Id)!.Identity?.KeyId, Is.EqualTo(keyB.KeyId), "b proved its key through the probe");

        var honest = await mesh.ConnectAsync(WithKey(keyH, "honest"));
        await honest.Service.JoinAsync(); // init: its id
        allowed[honest.Id] = true;
        await honest.JoinAsync(tamperer.Group.Id);
        await honest.Changes.UntilAsync(() => honest.Group.Members.Count == 3 && honest.Group.Members.All(p => p.State == PeerState.Connected), "the honest member to connect to all");
        await a.Changes.UntilAsync(() => a.Group.GetMember(honest.Id)?.State == PeerState.Connected, "a to connect to the honest member");
        await b.Changes.UntilAsync(() => b.Group.GetMember(honest.Id)?.State == PeerState.Connected, "b to connect to the honest member");

        tamperer.MeshGroup!.Router.TamperWithForwardedData = true;
        var payload = Encoding.UTF8.GetBytes("not to be altered");
        var reply = await a.Group.UnicastAsync(b.Id, payload);

        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo($"{b.Id}:not to be altered"), "resent through the honest relay, intact");
        Assert.That(a.Group.GetMember(b.Id)!.RelayedVia, Is.EqualTo(honest.Id));
        Assert.That(mesh.Log.Contains(Microsoft.Extensions.Logging.LogLevel.Warning, "signature does not verify"), Is.True);
    }

    [Test]
    public async Task Without_identity_keys_a_relay_can_alter_what_it_forwards_undetected()
    {
        await using var mesh = await StartAsync();
        var (tamperer, a, b) = await FormRelayedAsync(mesh);

        tamperer.MeshGroup!.Router.TamperWithForwardedData = true;
        await a.Group.BroadcastAsync("original"u8.ToArray());
        await b.Changes.UntilAsync(() => b.Broadcasts.Any(m => m.From == a.Id), "b to receive the broadcast");

        Assert.That(b.Broadcasts.Single(m => m.From == a.Id).Data, Is.Not.EqualTo("original"u8.ToArray()), "documented in docs/threat-model.md");
    }

    [Test]
    public async Task When_the_direct_link_succeeds_later_the_member_is_connected_directly_again()
    {
        await using var mesh = await StartAsync();
        var (relay, a, b) = await FormRelayedAsync(mesh);
        var forwarded = relay.MeshGroup!.Router.ForwardedFrames;

        mesh.Network.Fault = null;
        await TestMesh.WaitForFullMeshAsync([relay, a, b]);

        Assert.That(a.Group.GetMember(b.Id)!.RelayedVia, Is.Null);
        var reply = await a.Group.UnicastAsync(b.Id, "direct"u8.ToArray());
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo($"{b.Id}:direct"));
        Assert.That(relay.MeshGroup.Router.ForwardedFrames, Is.EqualTo(forwarded).Or.GreaterThan(forwarded), "(probes may cross it before)");
        Assert.That(a.Events, Does.Contain($"{b.Id} Connected"));
    }

    [Test]
    public async Task Capability_rules_hold_end_to_end_through_a_relay()
    {
        await using var mesh = await StartAsync();
        var (owner, a, b) = await FormRelayedAsync(mesh, GroupCapability.BroadcastOwner | GroupCapability.UnicastOwner);

        a.MeshGroup!.BypassSenderChecks = true; // a modified peer
        await a.Group.BroadcastAsync("forbidden"u8.ToArray());
        var refused = Assert.ThrowsAsync<GroupException>(() => a.Group.UnicastAsync(b.Id, "forbidden"u8.ToArray()));
        await owner.Group.BroadcastAsync("allowed"u8.ToArray());
        await b.Changes.UntilAsync(() => b.Broadcasts.Any(m => m.From == owner.Id), "b to receive the owner's broadcast");

        Assert.That(refused!.Code, Is.EqualTo(GroupErrorCode.Forbidden));
        Assert.That(b.Broadcasts.Any(m => m.From == a.Id), Is.False);
    }

    [Test]
    public async Task With_relaying_off_an_unreachable_member_stays_failed()
    {
        await using var mesh = await StartAsync();
        var relay = await mesh.CreateAsync();
        var a = await mesh.JoinAsync(relay.Group.Id, o => o.Relaying.Enabled = false);
        await TestMesh.WaitForFullMeshAsync([relay, a]);
        mesh.Network.Fault = OnlyThrough(a, relay);
        var b = await mesh.JoinAsync(relay.Group.Id);
        await a.Changes.UntilAsync(() => a.Group.GetMember(b.Id)?.State == PeerState.Failed, "a to report b failed");

        var result = await a.Group.BroadcastAsync("x"u8.ToArray());

        Assert.That(result.Failed.Select(f => f.Peer.Id), Is.EqualTo(new[] { b.Id }));
        Assert.That(a.Group.GetMember(b.Id)!.RelayedVia, Is.Null);
    }

    [Test]
    public async Task A_relay_forwards_only_what_its_peer_sends_in_its_own_name_and_never_forwards_twice()
    {
        await using var mesh = await StartAsync();
        var relay = await mesh.CreateAsync();
        var a = await mesh.JoinAsync(relay.Group.Id);
        var d = await mesh.JoinAsync(relay.Group.Id);
        await TestMesh.WaitForFullMeshAsync([relay, a, d]);
        mesh.Network.Fault = OnlyThrough(a, relay, d);
        var b = await mesh.JoinAsync(relay.Group.Id);
        await b.Changes.UntilAsync(() => b.Group.GetMember(relay.Id)?.State == PeerState.Connected, "b to connect to the relay");
        var link = a.MeshGroup!.GetLink(relay.Id)!.TryGetMessenger()!;

        // In d's name at the first hop, and a frame marked as already forwarded.
        var spoofed = RouteFrameTests.Data(d.Id, b.Id, 1, 0, [], new FrameHeader(FrameKind.Broadcast, true, 1, 4), "fake"u8.ToArray());
        await link.SendFrameAsync(spoofed, CancellationToken.None);
        var twice = RouteFrameTests.Data(a.Id, b.Id, 1, 0, [], new FrameHeader(FrameKind.Broadcast, true, 1, 4), "fake"u8.ToArray());
        twice[2] = RouteFrame.ForwardedFlag;
        await link.SendFrameAsync(twice, CancellationToken.None);
        await a.Group.UnicastAsync(relay.Id, "barrier"u8.ToArray()); // the same channel, so the frames above were handled
        await relay.Group.UnicastAsync(b.Id, "barrier"u8.ToArray()); // and whatever the relay forwarded to b came before this

        Assert.That(mesh.Log.Contains(Microsoft.Extensions.Logging.LogLevel.Warning, "claims to come from"), Is.True);
        Assert.That(mesh.Log.Contains(Microsoft.Extensions.Logging.LogLevel.Warning, "not for this member"), Is.True);
        Assert.That(b.Broadcasts, Is.Empty);
    }

    private async Task<TestMesh> StartAsync() => _mesh = await TestMesh.StartAsync();

    /// <summary>A relay (the group's owner) and two members a and b that can connect only to it; returns once a reaches b through it.</summary>
    private static async Task<(TestMember Relay, TestMember A, TestMember B)> FormRelayedAsync(TestMesh mesh, GroupCapability capability = GroupCapability.All)
    {
        var relay = await mesh.CreateAsync(capability);
        var a = await mesh.JoinAsync(relay.Group.Id);
        await TestMesh.WaitForFullMeshAsync([relay, a]);
        mesh.Network.Fault = OnlyThrough(a, relay);
        var b = await mesh.JoinAsync(relay.Group.Id);
        await WaitRelayedAsync(a, b, relay);
        return (relay, a, b);
    }

    /// <summary>A fault under which <paramref name="member"/> connects only to <paramref name="relays"/>.</summary>
    private static Func<Transport.PeerConnectionContext, InMemoryFault> OnlyThrough(TestMember member, params TestMember[] relays) =>
        OnlyThrough(member.Id, relays.ToDictionary(r => r.Id, _ => true));

    /// <summary>A fault under which <paramref name="id"/> connects only to the members in <paramref name="allowed"/> (read at each attempt).</summary>
    private static Func<Transport.PeerConnectionContext, InMemoryFault> OnlyThrough(string id, IReadOnlyDictionary<string, bool> allowed) =>
        c => (c.LocalUserId == id && !allowed.ContainsKey(c.RemoteUserId)) || (c.RemoteUserId == id && !allowed.ContainsKey(c.LocalUserId))
            ? InMemoryFault.Fail
            : InMemoryFault.None;

    private static Action<GroupOptions> WithKey(IdentityKey key, string name) => o => o.Identity = new IdentityOptions { Key = key, Name = name };

    private static Task WaitRelayedAsync(TestMember member, TestMember other, TestMember relay) =>
        member.Changes.UntilAsync(
            () => member.Group.GetMember(other.Id) is { State: PeerState.Relayed } peer && peer.RelayedVia == relay.Id,
            $"{member.Id} to reach {other.Id} through {relay.Id}");
}
