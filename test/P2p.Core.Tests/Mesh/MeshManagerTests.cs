using System.Text.Json;
using Moq;
using P2p.Core.Mesh;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Tests.Mesh;

/// <summary>The mesh manager's decisions, against a mocked signaling channel and transport on a fake clock.</summary>
[CancelAfter(20_000)]
public class MeshManagerTests
{
    [Test]
    public async Task A_newcomer_offers_to_every_earlier_member_in_parallel_and_to_no_later_one()
    {
        await using var world = new MockWorld("m", ["a", "b", "m", "z"]);
        await world.JoinAsync();

        // Both offers are out while neither has been answered: the attempts run in parallel.
        await world.UntilAsync(() => world.RelaysOfType("offer").Count() == 2, "offers to a and b");
        Assert.That(world.RelaysOfType("offer").Select(r => r.To), Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(world.Connections.Select(c => (c.Context.RemoteUserId, c.Context.Role)), Is.EquivalentTo(new[]
        {
            ("a", PeerConnectionRole.Offerer), ("b", PeerConnectionRole.Offerer),
        }));
        Assert.That(world.Group.Members.Select(p => (p.Id, p.State)), Is.EquivalentTo(new[]
        {
            ("a", PeerState.Connecting), ("b", PeerState.Connecting), ("z", PeerState.Connecting),
        }));
        Assert.That(world.Relays.Any(r => r.To == "z"), Is.False, "z joined later: it offers to us");
    }

    [Test]
    public async Task An_existing_member_answers_a_newcomer_and_never_offers_to_it()
    {
        await using var world = new MockWorld("m");
        await world.CreateAsync();
        world.RaiseMemberJoined("x");
        await world.UntilAsync(() => world.Events.Contains("joined x"), "the joined event");
        Assert.That(world.Connections, Is.Empty);
        Assert.That(world.Relays, Is.Empty);

        var answer = await world.RelayFrom("x", MockWorld.Offer("sdp-x"));
        Assert.That(answer.GetProperty("type").GetString(), Is.EqualTo("answer"));
        Assert.That(answer.GetProperty("sdp").GetString(), Is.EqualTo("sdp-answer-1"));
        var connection = world.Connections.Single();
        Assert.That(connection.Context.Role, Is.EqualTo(PeerConnectionRole.Answerer));
        Assert.That(connection.Calls, Is.EqualTo(new[] { "AcceptOffer:sdp-x" }));

        connection.RaiseState(PeerConnectionState.Connected);
        await world.UntilAsync(() => world.Group.GetMember("x")!.State == PeerState.Connected, "x connected");
        Assert.That(world.RelaysOfType("offer"), Is.Empty);
    }

    [Test]
    public async Task In_glare_the_lower_user_id_keeps_its_offer()
    {
        await using var world = new MockWorld("a", ["b", "a"]);
        await world.JoinAsync();
        await world.UntilAsync(() => world.RelaysOfType("offer").Any(), "our offer to b");

        var error = Assert.ThrowsAsync<SignalingException>(async () => await world.RelayFrom("b", MockWorld.Offer("sdp-b")));
        Assert.That((int)error!.Code, Is.EqualTo(-32030));
        Assert.That(error.Message, Does.StartWith("glare"));
        Assert.That(world.Connections.Single().Disposed, Is.False, "our offer stands");
    }

    [Test]
    public async Task In_glare_the_higher_user_id_abandons_its_offer_and_answers()
    {
        await using var world = new MockWorld("b", ["a", "b"]);
        await world.JoinAsync();
        await world.UntilAsync(() => world.RelaysOfType("offer").Any(), "our offer to a");
        var ours = world.Connections.Single();

        var answer = await world.RelayFrom("a", MockWorld.Offer("sdp-a"));
        Assert.That(answer.GetProperty("type").GetString(), Is.EqualTo("answer"));
        await world.UntilAsync(() => ours.Disposed, "our offering connection to be disposed");
        var theirs = world.Connections.Last();
        Assert.That(theirs.Context.Role, Is.EqualTo(PeerConnectionRole.Answerer));
        theirs.RaiseState(PeerConnectionState.Connected);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Connected, "a connected over its offer");
    }

    [Test]
    public async Task A_failed_attempt_is_reported_and_retried_with_back_off()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        var failures = 2;
        world.OnRelay = (to, data, ct) => Interlocked.Decrement(ref failures) >= 0
            ? Task.FromException<JsonElement>(new SignalingException(SignalingErrorCode.RelayTimeout, "no answer"))
            : Task.FromResult(MockWorld.Answer("sdp-a"));
        await world.JoinAsync();

        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Failed, "a reported failed");
        Assert.That(world.Group.GetMember("a")!.LastError, Is.TypeOf<SignalingException>());
        await world.UntilAsync(() => world.Connections.Single().Disposed, "the failed connection disposed (in the background)");

        world.Time.Advance(TimeSpan.FromSeconds(1.2)); // first retry: 1 s ± 20 %
        // The second connection disposed: its attempt has failed (a Failed state alone may still be the first failure's).
        await world.UntilAsync(() => world.Connections.Count == 2 && world.Connections.Last().Disposed && world.Group.GetMember("a")!.State == PeerState.Failed, "the second attempt to fail");
        world.Time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.That(world.Connections, Has.Count.EqualTo(2), "the second delay is doubled (2 s ± 20 %)");
        world.Time.Advance(TimeSpan.FromSeconds(1));
        await world.UntilAsync(() => world.Connections.Count == 3, "the third attempt");
        var third = world.Connections.Last();
        await world.UntilAsync(() => third.Calls.Contains("AcceptAnswer:sdp-a"), "the answer to be applied");
        third.RaiseState(PeerConnectionState.Connected);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Connected, "a connected");
        await world.UntilAsync(() => world.Events.Contains("a Connected"), "the connected event (events are raised in the background)");
        Assert.That(world.Events.Where(e => e.StartsWith("a ", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            "a Failed", "a Connecting", "a Failed", "a Connecting", "a Connected",
        }).Or.EqualTo(new[] { "a Connecting", "a Failed", "a Connecting", "a Failed", "a Connecting", "a Connected" }));
    }

    [Test]
    public async Task Retrying_an_unreachable_member_does_not_nest_the_log_scopes_deeper_with_every_attempt()
    {
        // Each retry is armed by the failure of the one before: it must not run inside that one's scopes (found by the
        // soak, issue 19: after 6 attempts a line carried 15 copies of the link's scope, and the chain never ended).
        await using var world = new MockWorld("m", ["a", "m"]);
        world.OnRelay = (_, _, _) => Task.FromException<JsonElement>(new SignalingException(SignalingErrorCode.RelayTimeout, "no answer"));
        await world.JoinAsync();
        for (var attempt = 1; attempt <= 6; attempt++)
        {
            await world.UntilAsync(() => world.Connections.Count == attempt && world.Connections.Last().Disposed, $"attempt {attempt} to fail");
            world.Time.Advance(TimeSpan.FromSeconds(10)); // past the longest back-off (8 s + 20 %)
        }

        var depths = world.Log.Entries
            .Where(e => e.Message.StartsWith("Connection attempt", StringComparison.Ordinal) && e.Message.Contains(" failed", StringComparison.Ordinal))
            .Select(e => e.Scopes.Count)
            .ToList();
        Assert.That(depths, Has.Count.GreaterThanOrEqualTo(6));
        Assert.That(depths.Skip(1), Is.All.EqualTo(depths[1]), "scopes of each failed attempt's line: " + string.Join(", ", depths));
    }

    [Test]
    public async Task An_attempt_that_does_not_connect_in_time_fails_with_a_timeout_and_is_retried()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        await world.JoinAsync();
        await world.UntilAsync(() => world.RelaysOfType("offer").Any(), "the offer");
        world.Time.Advance(TimeSpan.FromSeconds(10));
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Failed, "a reported failed");
        Assert.That(world.Group.GetMember("a")!.LastError, Is.TypeOf<TimeoutException>());
        world.Time.Advance(TimeSpan.FromSeconds(2));
        await world.UntilAsync(() => world.RelaysOfType("offer").Count() == 2, "a second offer");
    }

    [Test]
    public async Task An_answerer_reports_a_member_failed_when_no_offer_comes_but_never_offers_itself()
    {
        await using var world = new MockWorld("m");
        await world.CreateAsync();
        world.RaiseMemberJoined("x");
        await world.UntilAsync(() => world.Events.Contains("joined x"), "x joined");
        world.Time.Advance(TimeSpan.FromSeconds(10));
        await world.UntilAsync(() => world.Group.GetMember("x")!.State == PeerState.Failed, "x reported failed");
        Assert.That(world.Group.GetMember("x")!.LastError, Is.TypeOf<TimeoutException>());
        world.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.That(world.Connections, Is.Empty);

        // A late offer is still welcome.
        await world.RelayFrom("x", MockWorld.Offer("sdp-x"));
        world.Connections.Single().RaiseState(PeerConnectionState.Connected);
        await world.UntilAsync(() => world.Group.GetMember("x")!.State == PeerState.Connected, "x connected");
    }

    [Test]
    public async Task A_dead_connection_is_retried_by_the_offerer_only()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        var connection = await world.JoinAndConnectToAsync("a");

        connection.RaiseState(PeerConnectionState.Failed);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Failed, "a failed");
        world.Time.Advance(TimeSpan.FromSeconds(1.2));
        await world.UntilAsync(() => world.RelaysOfType("offer").Count() == 2, "a new offer");

        // The answering side of a dead connection waits for the offerer.
        world.RaiseMemberJoined("z");
        await world.RelayFrom("z", MockWorld.Offer("sdp-z"));
        var fromZ = world.ConnectionsTo("z").Single();
        fromZ.RaiseState(PeerConnectionState.Connected);
        await world.UntilAsync(() => world.Group.GetMember("z")!.State == PeerState.Connected, "z connected");
        fromZ.RaiseState(PeerConnectionState.Closed);
        await world.UntilAsync(() => world.Group.GetMember("z")!.State == PeerState.Failed, "z failed");
        world.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.That(world.ConnectionsTo("z"), Has.Length.EqualTo(1));
        Assert.That(world.Relays.Any(r => r.To == "z" && r.Data.GetProperty("type").GetString() == "offer"), Is.False);
    }

    [Test]
    public async Task An_interrupted_connection_that_recovers_stays_the_same_connection()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        var connection = await world.JoinAndConnectToAsync("a");

        connection.RaiseState(PeerConnectionState.Disconnected);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Interrupted, "a interrupted");
        connection.RaiseState(PeerConnectionState.Disconnected); // a repeated report changes nothing
        world.Time.Advance(TimeSpan.FromSeconds(5));
        connection.RaiseState(PeerConnectionState.Connected);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Connected, "a recovered");

        world.Time.Advance(TimeSpan.FromMinutes(1)); // the recovery timer was cancelled: nothing fails later
        Assert.That(world.Group.GetMember("a")!.State, Is.EqualTo(PeerState.Connected));
        Assert.That(world.Connections, Has.Count.EqualTo(1));
        Assert.That(connection.Disposed, Is.False);
        await world.UntilAsync(() => world.Events.Count(e => e.StartsWith("a ", StringComparison.Ordinal)) >= 3, "the state events");
        Assert.That(world.Events.Where(e => e.StartsWith("a ", StringComparison.Ordinal)), Is.EqualTo(new[] { "a Connected", "a Interrupted", "a Connected" }));
    }

    [Test]
    public async Task An_interrupted_connection_that_does_not_recover_in_time_fails_and_is_retried()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        var connection = await world.JoinAndConnectToAsync("a");

        connection.RaiseState(PeerConnectionState.Disconnected);
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Interrupted, "a interrupted");
        world.Time.Advance(TimeSpan.FromSeconds(10)); // the recovery timeout
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Failed, "a failed");
        Assert.That(world.Group.GetMember("a")!.LastError, Is.TypeOf<TimeoutException>());
        await world.UntilAsync(() => connection.Disposed, "the dead connection disposed");
        world.Time.Advance(TimeSpan.FromSeconds(1.2));
        await world.UntilAsync(() => world.RelaysOfType("offer").Count() == 2, "a new offer");
    }

    [Test]
    public async Task Member_left_removes_the_member_and_stops_its_retries()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        world.OnRelay = (to, data, ct) => Task.FromException<JsonElement>(new SignalingException(SignalingErrorCode.RelayTimeout, "no answer"));
        await world.JoinAsync();
        await world.UntilAsync(() => world.Group.GetMember("a")!.State == PeerState.Failed, "a failed");

        world.RaiseMemberLeft("a");
        await world.UntilAsync(() => world.Events.Contains("left a"), "the left event");
        Assert.That(world.Group.Members, Is.Empty);
        Assert.That(world.Group.GetMember("a"), Is.Null);
        world.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.That(world.Connections, Has.Count.EqualTo(1), "no retry for a member that left");
    }

    [Test]
    public async Task A_member_that_leaves_while_we_join_is_never_contacted()
    {
        await using var world = new MockWorld("m", ["a", "b", "m"]);
        world.BeforeGetGroupReturns = () => world.RaiseMemberLeft("a"); // member_left overtakes a stale get_group
        await world.JoinAsync();
        await world.UntilAsync(() => world.RelaysOfType("offer").Any(), "the offer to b");
        Assert.That(world.Group.Members.Select(p => p.Id), Is.EqualTo(new[] { "b" }));
        Assert.That(world.Relays.Any(r => r.To == "a"), Is.False);
    }

    [Test]
    public async Task An_answerer_buffers_candidates_that_overtake_the_offer()
    {
        await using var world = new MockWorld("m");
        await world.CreateAsync();
        world.RaiseMemberJoined("x");
        Assert.That((await world.RelayFrom("x", MockWorld.Candidate("c1"))).ValueKind, Is.EqualTo(JsonValueKind.Null));
        await world.RelayFrom("x", MockWorld.Candidate("c2"));
        Assert.That(world.Connections, Is.Empty, "nothing to add them to yet");
        Assert.That(world.MeshGroup.GetLink("x")!.EarlyCandidateCount, Is.EqualTo(2));

        await world.RelayFrom("x", MockWorld.Offer("sdp-x"));
        var connection = world.Connections.Single();
        Assert.That(connection.Calls, Is.EqualTo(new[] { "AcceptOffer:sdp-x", "AddCandidate:c1", "AddCandidate:c2" }));
        await world.RelayFrom("x", MockWorld.Candidate("c3"));
        Assert.That(connection.Calls.Last(), Is.EqualTo("AddCandidate:c3"));
    }

    [Test]
    public async Task An_offerer_buffers_candidates_that_overtake_the_answer()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        world.OnRelay = (to, data, ct) => data.GetProperty("type").GetString() == "offer" ? answer.Task : Task.FromResult(JsonSerializer.SerializeToElement(true));
        await world.JoinAsync();
        await world.UntilAsync(() => world.RelaysOfType("offer").Any(), "the offer");

        await world.RelayFrom("a", MockWorld.Candidate("early"));
        var connection = world.Connections.Single();
        Assert.That(connection.Calls, Is.EqualTo(new[] { "CreateOffer" }));

        answer.SetResult(MockWorld.Answer("sdp-a"));
        await world.UntilAsync(() => connection.Calls.Count == 3, "the answer and the buffered candidate");
        Assert.That(connection.Calls, Is.EqualTo(new[] { "CreateOffer", "AcceptAnswer:sdp-a", "AddCandidate:early" }));
    }

    [Test]
    public async Task Local_candidates_gathered_before_the_offer_is_sent_follow_it()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        world.OnConnectionCreated = c => c.OnCreateOffer = self => self.RaiseCandidate("mine");
        await world.JoinAsync();
        await world.UntilAsync(() => world.Relays.Count == 2, "offer and candidate");
        Assert.That(world.Relays.Select(r => r.Data.GetProperty("type").GetString()), Is.EqualTo(new[] { "offer", "candidate" }));
        Assert.That(world.Relays.Last().Data.GetProperty("candidate").GetString(), Is.EqualTo("mine"));
        Assert.That(world.Relays.Last().Data.GetProperty("sdpMid").GetString(), Is.EqualTo("0"));
        Assert.That(world.Relays.Last().Data.GetProperty("sdpMLineIndex").GetInt32(), Is.Zero);
    }

    [Test]
    public async Task A_relay_of_unknown_type_or_for_another_group_is_answered_with_an_error()
    {
        await using var world = new MockWorld("m");
        await world.CreateAsync();
        var unknown = Assert.ThrowsAsync<SignalingException>(async () => await world.RelayFrom("x", new { type = "hello" }));
        Assert.That(unknown!.Code, Is.EqualTo(SignalingErrorCode.InvalidParams));
        Assert.That(unknown.Message, Does.Contain("hello"));
        var untyped = Assert.ThrowsAsync<SignalingException>(async () => await world.RelayFrom("x", 42));
        Assert.That(untyped!.Code, Is.EqualTo(SignalingErrorCode.InvalidParams));
        var malformed = Assert.ThrowsAsync<SignalingException>(async () => await world.RelayFrom("x", new { type = "offer", sdp = 5 }));
        Assert.That(malformed!.Code, Is.EqualTo(SignalingErrorCode.InvalidParams));
        var otherGroup = Assert.ThrowsAsync<SignalingException>(async () =>
            await world.Signaling.Object.RelayHandler!(new RelayRequest("other", "x", JsonSerializer.SerializeToElement(MockWorld.Offer("s"))), CancellationToken.None));
        Assert.That((int)otherGroup!.Code, Is.EqualTo(-32031));
        Assert.That(world.Connections, Is.Empty);
    }

    [Test]
    public async Task Leaving_tells_the_server_closes_every_connection_and_stops_all_work()
    {
        await using var world = new MockWorld("m", ["a", "b", "m"]);
        await world.JoinAsync();
        await world.UntilAsync(() => world.Connections.Count == 2, "two attempts");
        await world.Group.LeaveAsync();
        world.Signaling.Verify(s => s.LeaveGroupAsync(MockWorld.GroupId, It.IsAny<CancellationToken>()), Times.Once);
        Assert.That(world.Connections.All(c => c.Disposed), Is.True);
        Assert.That(world.MeshGroup.Work.Count, Is.Zero);
        Assert.That(world.Service.Groups, Is.Empty);
        Assert.That(() => world.Group.BroadcastAsync(new byte[1]), Throws.TypeOf<GroupException>());
        world.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.That(world.Connections, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Joining_the_same_group_twice_is_refused()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        await world.JoinAsync();
        Assert.That(() => world.Service.JoinGroupAsync(MockWorld.GroupId), Throws.InvalidOperationException);
    }

    [Test]
    public async Task A_join_that_fails_after_joining_leaves_the_group_again_and_leaves_nothing_behind()
    {
        await using var world = new MockWorld("m", ["a", "m"]);
        world.BeforeGetGroupReturns = () => throw new SignalingException(SignalingErrorCode.InternalError, "boom");
        Assert.That(() => world.Service.JoinGroupAsync(MockWorld.GroupId), Throws.TypeOf<SignalingException>());
        world.Signaling.Verify(s => s.LeaveGroupAsync(MockWorld.GroupId, It.IsAny<CancellationToken>()), Times.Once);
        Assert.That(world.Service.Groups, Is.Empty);
        Assert.That(world.Connections, Is.Empty);
    }
}
