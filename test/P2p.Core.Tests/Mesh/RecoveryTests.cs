using System.Text.Json;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Tests.Mesh;

/// <summary>
/// Recovery of an interrupted link through ICE restarts (docs/concepts.md, "Staying connected"), against a mocked
/// signaling channel and transport on a fake clock (MockWorld: RecoveryTimeout 10 s, IceRestartInterval 3 s).
/// </summary>
[CancelAfter(20_000)]
public class RecoveryTests
{
    [Test]
    public async Task The_offering_side_restarts_ICE_on_the_same_connection_and_the_member_never_leaves()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        world.OnConnectionCreated = c => c.EnableIceRestart(world.Changes.Pulse);
        var connection = await world.JoinAndConnectToAsync("a");

        connection.RaiseState(PeerConnectionState.Disconnected);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Interrupted, "a interrupted");
        await world.UntilAsync(() => connection.Calls.Contains("AcceptAnswer:sdp-a") && connection.Calls.Count(c => c.StartsWith("AcceptAnswer", StringComparison.Ordinal)) == 2, "the restart answer");

        var restart = world.RelaysOfType("offer").Last();
        Assert.That(restart.Data.GetProperty("sdp").GetString(), Is.EqualTo("sdp-restart-offer-1"));
        Assert.That(restart.Data.GetProperty("iceRestart").GetBoolean(), Is.True);
        connection.RaiseState(PeerConnectionState.Connected);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Connected, "a recovered");

        world.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.That(world.Connections, Has.Count.EqualTo(1), "the same connection throughout");
        Assert.That(connection.Disposed, Is.False);
        Assert.That(world.Events, Does.Not.Contain("left a"));
        Assert.That(world.RelaysOfType("offer").Count(), Is.EqualTo(2), "no restart after the recovery");
    }

    [Test]
    public async Task Restarts_repeat_every_interval_until_the_recovery_timeout_then_the_member_fails_and_is_reconnected()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        world.OnConnectionCreated = c => c.EnableIceRestart(world.Changes.Pulse);
        var connection = await world.JoinAndConnectToAsync("a");

        connection.RaiseState(PeerConnectionState.Disconnected);
        await world.UntilAsync(() => connection.Calls.Count(c => c == "CreateRestartOffer") == 1, "the first restart");
        var step = TimeSpan.FromMilliseconds(250);
        int Restarts() => connection.Calls.Count(c => c == "CreateRestartOffer");
        var second = await world.AdvanceUntilAsync(() => Restarts() == 2, step, TimeSpan.FromSeconds(4), "the second restart");
        var third = await world.AdvanceUntilAsync(() => Restarts() == 3, step, TimeSpan.FromSeconds(4), "the third restart");
        Assert.That(second, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(3)), "a restart every 3 s");
        Assert.That(third, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(world.Group.GetMember("a")!.State, Is.EqualTo(PeerState.Interrupted));

        var failedAfter = await world.AdvanceUntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Failed, step, TimeSpan.FromSeconds(5), "the recovery timeout");
        Assert.That(second + third + failedAfter, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(10)).And.LessThan(TimeSpan.FromSeconds(10.75)), "failed 10 s after the interruption");
        Assert.That(world.Group.GetMember("a")!.LastError, Is.TypeOf<TimeoutException>());
        await world.UntilAsync(() => connection.Disposed, "the dead connection disposed");
        world.Time.Advance(TimeSpan.FromSeconds(1.2));
        await world.UntilAsync(() => world.Connections.Count == 2, "a new connection");
    }

    [Test]
    public async Task An_interrupted_member_that_is_not_connected_to_the_signaling_server_fails_at_once()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        world.OnConnectionCreated = c => c.EnableIceRestart(world.Changes.Pulse);
        var connection = await world.JoinAndConnectToAsync("a");
        world.OnRelay = (to, data, ct) => Task.FromException<JsonElement>(new SignalingException(SignalingErrorCode.TargetUnavailable, "not connected"));

        connection.RaiseState(PeerConnectionState.Disconnected);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Failed, "a failed without waiting for the recovery timeout");
        Assert.That(world.Group.GetMember("a")!.LastError!.Message, Does.Contain("not connected to the signaling server"));
    }

    [Test]
    public async Task The_answering_side_asks_for_a_restart_and_answers_the_restart_offer_on_the_same_connection()
    {
        await using var world = new MockWorld("m");
        world.OnConnectionCreated = c => c.EnableIceRestart(world.Changes.Pulse);
        world.OnRelay = (to, data, ct) => Task.FromResult(JsonSerializer.SerializeToElement(true));
        await world.CreateAsync();
        world.RaiseMemberJoined("x");
        await world.RelayFrom("x", MockWorld.Offer("sdp-x"));
        var connection = world.Connections.Single();
        connection.RaiseState(PeerConnectionState.Connected);
        await world.UntilAsync(() => world.Group.GetMember("x")!.State == PeerState.Connected, "x connected");

        connection.RaiseState(PeerConnectionState.Disconnected);
        await world.UntilAsync(() => world.RelaysOfType("restart").Any(), "a restart request");
        Assert.That(world.RelaysOfType("restart").Single().To, Is.EqualTo("x"));

        var answer = await world.RelayFrom("x", new { type = "offer", sdp = "sdp-x-restart", iceRestart = true });
        Assert.That(answer.GetProperty("sdp").GetString(), Is.EqualTo("sdp-restart-answer-1"));
        Assert.That(connection.Calls, Does.Contain("AcceptRestartOffer:sdp-x-restart"));

        // A candidate of the new session reaches the same connection.
        await world.RelayFrom("x", MockWorld.Candidate("candidate:new"));
        await world.UntilAsync(() => connection.Calls.Contains("AddCandidate:candidate:new"), "the new candidate");
        connection.RaiseState(PeerConnectionState.Connected);
        await world.UntilAsync(() => world.Group.GetMember("x")!.State == PeerState.Connected, "x recovered");
        Assert.That(world.Connections, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_restart_request_makes_the_offering_side_restart_even_if_it_saw_no_interruption()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        world.OnConnectionCreated = c => c.EnableIceRestart(world.Changes.Pulse);
        var connection = await world.JoinAndConnectToAsync("a");

        var reply = await world.RelayFrom("a", new { type = "restart" });
        Assert.That(reply.ValueKind, Is.EqualTo(JsonValueKind.True));
        await world.UntilAsync(() => world.RelaysOfType("offer").Any(r => r.Data.TryGetProperty("iceRestart", out _)), "the restart offer");
        Assert.That(world.Group.GetMember("a")!.State, Is.EqualTo(PeerState.Connected));
    }

    [Test]
    public async Task A_restart_request_without_a_live_connection_is_refused_with_its_code()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        await world.JoinAsync();
        var ex = Assert.ThrowsAsync<SignalingException>(async () => await world.RelayFrom("a", new { type = "restart" }));
        Assert.That((int)ex!.Code, Is.EqualTo(-32032));
    }

    [Test]
    public async Task Local_candidates_of_a_restart_wait_for_its_offer_to_be_relayed()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        world.OnConnectionCreated = c => c.EnableIceRestart(world.Changes.Pulse, during => during.RaiseCandidate("candidate:early"));
        var connection = await world.JoinAndConnectToAsync("a");
        connection.RaiseState(PeerConnectionState.Disconnected);
        await world.UntilAsync(() => world.RelaysOfType("candidate").Any(r => r.Data.GetProperty("candidate").GetString() == "candidate:early"), "the new candidate relayed");
        var order = world.Relays.Select(r => r.Data.GetProperty("type").GetString()).ToList();
        Assert.That(order.LastIndexOf("offer"), Is.LessThan(order.LastIndexOf("candidate")), "the candidate follows the restart offer");
    }

    [Test]
    public async Task Messages_sent_while_interrupted_go_to_the_same_connection()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        var connection = await world.JoinAndConnectToAsync("a");
        connection.RaiseState(PeerConnectionState.Disconnected);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Interrupted, "a interrupted");

        var result = await world.Group.BroadcastAsync(new byte[] { 1, 2, 3 });
        Assert.That(result.Delivered.Select(p => p.Id), Is.EqualTo(new[] { "a" }));
        Assert.That(result.Failed, Is.Empty);
    }
}
