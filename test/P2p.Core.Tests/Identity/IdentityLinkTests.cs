using System.Text;
using System.Text.Json;
using P2p.Core.Framing;
using P2p.Core.Identity;
using P2p.Core.Tests.Mesh;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Tests.Identity;

/// <summary>
/// The identity handshake on a link, in virtual time: the local member "m" joins after "a" and offers to it; the test plays
/// "a" by writing frames into the fake channel and reading what "m" sent.
/// </summary>
[CancelAfter(20_000)]
public class IdentityLinkTests
{
    private const string OurFingerprint = "sha-256 11:22:33:44";
    private const string TheirFingerprint = "sha-256 AA:BB:CC:DD";

    [Test]
    public async Task Two_members_with_keys_see_each_others_verified_identity()
    {
        using var ours = IdentityKey.Create();
        using var theirs = IdentityKey.Create();
        await using var world = World(new IdentityOptions { Key = ours, Name = "me" });
        var connection = await OpenAsync(world);

        // Our Identity frame went first, and "a" can verify it from its own (mirrored) view.
        await world.UntilAsync(() => !connection.Sent.IsEmpty, "our identity frame");
        var sent = IdentityHandshake.Verify(connection.Sent.First(), MockWorld.GroupId, "m", "a", OurFingerprint, TheirFingerprint, out _, out var problem);
        Assert.That(sent, Is.Not.Null, problem);
        Assert.That((sent!.Name, sent.KeyId), Is.EqualTo(("me", ours.KeyId)));

        // Not connected before "a" proves its identity.
        Assert.That(world.Group.GetMember("a")!.State, Is.EqualTo(PeerState.Connecting));
        Send(connection, Frame(theirs, "alice"));
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Connected, "a connected");
        var identity = world.Group.GetMember("a")!.Identity;
        Assert.That((identity?.Name, identity?.KeyId), Is.EqualTo(("alice", theirs.KeyId)));
        Assert.That(world.Group.LocalMember.Identity?.KeyId, Is.EqualTo(ours.KeyId));
    }

    [Test]
    public async Task Messages_wait_until_the_peer_identity_is_accepted()
    {
        using var ours = IdentityKey.Create();
        using var theirs = IdentityKey.Create();
        var trusted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new List<string>();
        await using var world = World(new IdentityOptions
        {
            Key = ours,
            TrustPolicy = IdentityTrustPolicies.FromCallback((_, ct) =>
            {
                asked.TrySetResult();
                return new ValueTask<bool>(trusted.Task.WaitAsync(ct));
            }),
        });
        world.GroupOptions!.MessageHandler = (from, data, _) =>
        {
            lock (received)
            {
                received.Add(Encoding.UTF8.GetString(data.Span));
            }

            world.Changes.Pulse();
            return ValueTask.CompletedTask;
        };
        var connection = await OpenAsync(world);
        Send(connection, Frame(theirs, "alice"));
        Send(connection, Broadcast("hello"));
        await asked.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(received, Is.Empty);
        Assert.That(world.Group.GetMember("a")!.State, Is.EqualTo(PeerState.Connecting));

        trusted.SetResult(true);
        await world.UntilAsync(() => received.Count == 1, "the broadcast");
        Assert.That(world.Group.GetMember("a")!.State, Is.EqualTo(PeerState.Connected));
    }

    [Test]
    public async Task A_requiring_member_refuses_a_peer_whose_first_frame_is_not_an_identity()
    {
        using var ours = IdentityKey.Create();
        await using var world = World(new IdentityOptions { Key = ours });
        var connection = await OpenAsync(world);
        Send(connection, Broadcast("hello"));
        var error = await FailureAsync(world);
        Assert.That(error.Reason, Is.EqualTo(IdentityFailureReason.Missing));
        Assert.That(error.Message, Does.Contain("missing"));
        Assert.That(error.Code, Is.EqualTo(GroupErrorCode.IdentityRejected));
        await world.UntilAsync(() => connection.Disposed, "the connection closed");
    }

    [Test]
    public async Task A_requiring_member_refuses_a_silent_peer_after_the_connect_timeout()
    {
        using var ours = IdentityKey.Create();
        await using var world = World(new IdentityOptions { Key = ours });
        await OpenAsync(world);
        await world.AdvanceUntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Failed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15), "the identity timeout");
        var error = (IdentityException)world.Group.GetMember("a")!.LastError!;
        Assert.That(error.Reason, Is.EqualTo(IdentityFailureReason.Missing));
    }

    [Test]
    public async Task A_member_that_does_not_require_identity_accepts_a_peer_without_one()
    {
        using var ours = IdentityKey.Create();
        await using var world = World(new IdentityOptions { Key = ours, RequirePeerIdentity = false });
        var connection = await OpenAsync(world);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Connected, "a connected");
        Send(connection, Broadcast("hello"));
        Assert.That(world.Group.GetMember("a")!.Identity, Is.Null);
        Assert.That(connection.Sent.First()[0], Is.EqualTo(0x15), "it still proves its own identity");
    }

    [Test]
    public async Task A_member_without_a_key_verifies_and_shows_a_peers_identity()
    {
        using var theirs = IdentityKey.Create();
        await using var world = World(null);
        var received = 0;
        world.GroupOptions!.MessageHandler = (_, _, _) =>
        {
            Interlocked.Increment(ref received);
            world.Changes.Pulse();
            return ValueTask.CompletedTask;
        };
        var connection = await OpenAsync(world);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Connected, "a connected (nothing required)");
        Send(connection, Frame(theirs, "alice"));
        Send(connection, Broadcast("after the identity"));
        await world.UntilAsync(() => Volatile.Read(ref received) == 1, "the broadcast after the identity");
        Assert.That(world.Group.GetMember("a")!.Identity!.KeyId, Is.EqualTo(theirs.KeyId));
        Assert.That(connection.Sent, Is.Empty, "no key, no identity frame");
    }

    [Test]
    public async Task A_signature_over_other_fingerprints_is_refused_as_a_bad_signature()
    {
        using var ours = IdentityKey.Create();
        using var theirs = IdentityKey.Create();
        await using var world = World(new IdentityOptions { Key = ours });
        var connection = await OpenAsync(world);

        // "a" saw another certificate for us: a man in the middle of the SDP.
        Send(connection, IdentityHandshake.CreateFrame(theirs, "alice", MockWorld.GroupId, "a", "m", TheirFingerprint, "sha-256 EE:EE:EE:EE"));
        var error = await FailureAsync(world);
        Assert.That(error.Reason, Is.EqualTo(IdentityFailureReason.BadSignature));
        Assert.That(error.Message, Does.Contain("bad signature"));
    }

    [Test]
    public async Task A_malformed_identity_frame_closes_the_link_and_nothing_throws_past_it()
    {
        using var ours = IdentityKey.Create();
        await using var world = World(new IdentityOptions { Key = ours });
        var connection = await OpenAsync(world);
        Send(connection, [0x15, 0x01, 0, 0, 0, 0, 0, 0, 0, 3, 1, 0, 9]);
        var error = await FailureAsync(world);
        Assert.That(error.Reason, Is.EqualTo(IdentityFailureReason.Malformed));
        Assert.That(world.Log.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error), Is.Empty);
    }

    [Test]
    public async Task A_pinned_policy_refuses_an_unknown_key()
    {
        using var ours = IdentityKey.Create();
        using var pinned = IdentityKey.Create();
        using var impostor = IdentityKey.Create();
        await using var world = World(new IdentityOptions
        {
            Key = ours,
            TrustPolicy = IdentityTrustPolicies.Pinned(new Dictionary<string, string> { ["alice"] = pinned.KeyId }),
        });
        var connection = await OpenAsync(world);
        Send(connection, Frame(impostor, "alice"));
        var error = await FailureAsync(world);
        Assert.That(error.Reason, Is.EqualTo(IdentityFailureReason.Refused));
        Assert.That(error.Message, Does.Contain("refused by the trust policy").And.Contain(impostor.KeyId));
    }

    [Test]
    public async Task Trust_on_first_use_remembers_a_name_and_later_refuses_another_key_for_it()
    {
        using var ours = IdentityKey.Create();
        using var first = IdentityKey.Create();
        using var second = IdentityKey.Create();
        var store = new InMemoryTrustStore();
        await using var world = World(new IdentityOptions { Key = ours, TrustPolicy = IdentityTrustPolicies.TrustOnFirstUse(store) });
        var connection = await OpenAsync(world);
        Send(connection, Frame(first, "alice"));
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Connected, "a connected");
        Assert.That(store.Entries["alice"], Is.EqualTo(first.KeyId));

        // The connection dies; the retry brings another key under the same name.
        connection.RaiseState(PeerConnectionState.Failed);
        await world.AdvanceUntilAsync(() => world.Connections.Count == 2 && world.Connections.Last().Calls.Any(c => c.StartsWith("AcceptAnswer:", StringComparison.Ordinal)), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5), "the retry");
        var retry = world.Connections.Last();
        retry.RaiseState(PeerConnectionState.Connected);
        Send(retry, Frame(second, "alice"));
        var error = await FailureAsync(world);
        Assert.That(error.Reason, Is.EqualTo(IdentityFailureReason.Refused));
        Assert.That(store.Entries["alice"], Is.EqualTo(first.KeyId));
    }

    [Test]
    public async Task A_persistent_impostor_is_retried_with_a_growing_back_off()
    {
        using var ours = IdentityKey.Create();
        using var impostor = IdentityKey.Create();
        await using var world = World(new IdentityOptions { Key = ours, TrustPolicy = IdentityTrustPolicies.Pinned(new Dictionary<string, string>()) });
        world.OnConnectionCreated = connection => connection.Mock.Setup(c => c.AcceptAnswerAsync(Moq.It.IsAny<SessionDescriptionPayload>(), Moq.It.IsAny<CancellationToken>())).Returns(() =>
        {
            connection.RaiseState(PeerConnectionState.Connected);
            Send(connection, Frame(impostor, "alice"));
            return Task.CompletedTask;
        });
        await OpenAsync(world, raiseConnected: false);

        var gaps = new List<TimeSpan>();
        for (var attempt = 2; attempt <= 5; attempt++)
        {
            var count = attempt;
            gaps.Add(await world.AdvanceUntilAsync(() => world.Connections.Count == count, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(20), $"attempt {attempt}"));
        }

        TestContext.Out.WriteLine($"gaps between attempts: {string.Join(", ", gaps)}");
        Assert.That(gaps[^1], Is.GreaterThan(gaps[0] * 3), "the back-off grows: identity failures do not reset it");
    }

    [Test]
    public async Task An_ICE_restart_keeps_the_verified_identity_without_a_new_handshake()
    {
        using var ours = IdentityKey.Create();
        using var theirs = IdentityKey.Create();
        await using var world = World(new IdentityOptions { Key = ours });
        world.OnConnectionCreated = c => c.EnableIceRestart(world.Changes.Pulse);
        var connection = await OpenAsync(world);
        Send(connection, Frame(theirs, "alice"));
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Connected, "a connected");

        connection.RaiseState(PeerConnectionState.Disconnected);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Interrupted, "a interrupted");
        await world.UntilAsync(() => connection.Calls.Count(c => c.StartsWith("AcceptAnswer", StringComparison.Ordinal)) == 2, "the restart answer");
        connection.RaiseState(PeerConnectionState.Connected);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Connected, "a recovered");

        Assert.That(world.Group.GetMember("a")!.Identity?.KeyId, Is.EqualTo(theirs.KeyId), "still the identity proven on this DTLS connection");
        Assert.That(connection.Sent.Count(f => f[0] == 0x15), Is.EqualTo(1), "one identity frame per connection");
        Assert.That(world.Connections, Has.Count.EqualTo(1));
    }

    private static MockWorld World(IdentityOptions? identity) =>
        new("m", ["a", "m"])
        {
            LocalFingerprint = OurFingerprint,
            GroupOptions = new GroupOptions { Identity = identity },
        };

    private static async Task<FakeConnection> OpenAsync(MockWorld world, bool raiseConnected = true)
    {
        world.OnRelay = (to, data, ct) => Task.FromResult(data.GetProperty("type").GetString() == "offer"
            ? MockWorld.Answer($"sdp-a\r\na=setup:active\r\na=fingerprint:{TheirFingerprint.ToLowerInvariant()}\r\n")
            : JsonSerializer.SerializeToElement(true));
        await world.JoinAsync();
        if (!raiseConnected)
        {
            return null!;
        }

        await world.UntilAsync(() => world.Connections.Count == 1 && world.Connections.Single().Calls.Any(c => c.StartsWith("AcceptAnswer:", StringComparison.Ordinal)), "the answer");
        var connection = world.Connections.Single();
        connection.RaiseState(PeerConnectionState.Connected);
        return connection;
    }

    private static async Task<IdentityException> FailureAsync(MockWorld world)
    {
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Failed, "a refused");
        Assert.That(world.Group.GetMember("a")!.LastError, Is.InstanceOf<IdentityException>());
        Assert.That(world.Group.GetMember("a")!.Identity, Is.Null);
        return (IdentityException)world.Group.GetMember("a")!.LastError!;
    }

    private static byte[] Frame(IdentityKey key, string name) =>
        IdentityHandshake.CreateFrame(key, name, MockWorld.GroupId, "a", "m", TheirFingerprint, OurFingerprint);

    private static byte[] Broadcast(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(FrameKind.Broadcast, true, 1, (uint)payload.Length).Write(frame);
        payload.CopyTo(frame, FrameHeader.Size);
        return frame;
    }

    private static void Send(FakeConnection connection, byte[] frame) => connection.Incoming.Writer.TryWrite(frame);
}
