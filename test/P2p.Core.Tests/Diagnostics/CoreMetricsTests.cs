using System.Text;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using P2p.Core.Diagnostics;
using P2p.Core.Tests.Support;
using P2p.Core.Transport;

namespace P2p.Core.Tests.Diagnostics;

/// <summary>
/// The "P2p.Core" meter (docs/telemetry.md) observed with <see cref="MetricCollector{T}"/> over the in-memory mesh and the
/// real signaling server. The meter is process-wide, and the tests of this assembly run one at a time.
/// </summary>
[CancelAfter(60_000)]
public sealed class CoreMetricsTests
{
    private TestMesh? _mesh;

    [TearDown]
    public void PrintLogOnFailure()
    {
        _mesh?.PrintLogIfTestFailed();

        _mesh = null;
    }

    [Test]
    public async Task A_three_member_group_counts_its_members_by_state_and_records_one_set_up_time_per_link_side()
    {
        using var members = Collected.Of<long>("p2p.group.members");
        using var setup = Collected.Of<double>("p2p.link.setup.duration");
        await using var mesh = _mesh = await TestMesh.StartAsync();
        var all = await FormOneByOneAsync(mesh, 3);

        // Three links, each with an offering and an answering side.
        await setup.UntilAsync(c => c.Tagged(("p2p.link.outcome", "connected")).Count() == 6, "six connected set-ups");
        Assert.That(setup.Tagged(("p2p.link.outcome", "connected"), ("p2p.link.role", "offerer")).Count(), Is.EqualTo(3));
        Assert.That(setup.Tagged(("p2p.link.outcome", "connected"), ("p2p.link.role", "answerer")).Count(), Is.EqualTo(3));
        Assert.That(setup.GetMeasurementSnapshot().Select(m => m.Value), Is.All.GreaterThanOrEqualTo(0).And.All.LessThan(5));

        var byState = Observe(members);
        Assert.That(byState["connected"], Is.EqualTo(6), "each of the 3 members sees 2 others connected");
        Assert.That(byState["connecting"] + byState["failed"] + byState["interrupted"] + byState["relayed"], Is.Zero);
        Assert.That(byState.ContainsKey("left"), Is.False, "members that left are not in a group's list");

        await all[2].Service.DisposeAsync();
        await all[0].Changes.UntilAsync(() => all[0].Group.Members.Count == 1, "the owner to see the third member leave");
        await all[1].Changes.UntilAsync(() => all[1].Group.Members.Count == 1, "the second member to see the third leave");
        Assert.That(Observe(members)["connected"], Is.EqualTo(2), "the third member's group is gone, and the others no longer list it");
    }

    [Test]
    public async Task A_broadcast_and_a_request_are_counted_as_messages_and_bytes_by_kind_and_the_round_trip_is_recorded()
    {
        using var sent = Collected.Of<long>("p2p.messages.sent");
        using var sentBytes = Collected.Of<long>("p2p.messages.sent.bytes");
        using var received = Collected.Of<long>("p2p.messages.received");
        using var receivedBytes = Collected.Of<long>("p2p.messages.received.bytes");
        using var duration = Collected.Of<double>("p2p.request.duration");
        await using var mesh = _mesh = await TestMesh.StartAsync();
        var all = await FormOneByOneAsync(mesh, 3);
        var (owner, second) = (all[0], all[1]);

        var result = await owner.Group.BroadcastAsync(new byte[1000]).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(result.Delivered, Has.Count.EqualTo(2));
        await received.UntilAsync(c => c.Total(("p2p.message.kind", "broadcast")) == 2, "both others to receive the broadcast");
        Assert.That(sent.Total(("p2p.message.kind", "broadcast"), ("p2p.message.path", "direct")), Is.EqualTo(2), "one message per member it went to");
        Assert.That(sentBytes.Total(("p2p.message.kind", "broadcast")), Is.EqualTo(2000));
        Assert.That(receivedBytes.Total(("p2p.message.kind", "broadcast"), ("p2p.message.path", "direct")), Is.EqualTo(2000));

        var reply = await owner.Group.UnicastAsync(second.Id, "ping"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo($"{second.Id}:ping"));
        var replyLength = reply.Length;
        await received.UntilAsync(c => c.Total(("p2p.message.kind", "reply")) == 1, "the reply to be counted");
        Assert.Multiple(() =>
        {
            Assert.That(sent.Total(("p2p.message.kind", "request")), Is.EqualTo(1));
            Assert.That(sentBytes.Total(("p2p.message.kind", "request")), Is.EqualTo(4));
            Assert.That(received.Total(("p2p.message.kind", "request"), ("p2p.message.path", "direct")), Is.EqualTo(1));
            Assert.That(receivedBytes.Total(("p2p.message.kind", "request")), Is.EqualTo(4));
            Assert.That(sent.Total(("p2p.message.kind", "reply")), Is.EqualTo(1));
            Assert.That(sentBytes.Total(("p2p.message.kind", "reply")), Is.EqualTo(replyLength));
            Assert.That(receivedBytes.Total(("p2p.message.kind", "reply")), Is.EqualTo(replyLength));
            Assert.That(sent.Total(("p2p.message.kind", "error")) + sent.Total(("p2p.message.path", "relayed")), Is.Zero);
        });

        var ok = duration.Tagged(("p2p.request.outcome", "ok"), ("p2p.message.path", "direct")).ToList();
        Assert.That(ok, Has.Count.EqualTo(1));
        Assert.That(ok[0].Value, Is.GreaterThan(0).And.LessThan(10));
    }

    [Test]
    public async Task A_request_answered_with_an_error_or_not_answered_in_time_is_recorded_with_that_outcome()
    {
        using var duration = Collected.Of<double>("p2p.request.duration");
        using var sent = Collected.Of<long>("p2p.messages.sent");
        await using var mesh = _mesh = await TestMesh.StartAsync();
        var owner = await mesh.CreateAsync(configure: o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));
        var failing = await mesh.JoinAsync(owner.Group.Id, o => o.RequestHandler = (_, _, _) => throw new InvalidOperationException("no"));
        var silent = await mesh.JoinAsync(owner.Group.Id, o => o.RequestHandler = async (_, _, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return default;
        });
        await TestMesh.WaitForFullMeshAsync([owner, failing, silent]);

        var error = Assert.ThrowsAsync<GroupException>(() => owner.Group.UnicastAsync(failing.Id, "x"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.That(error!.Code, Is.EqualTo(GroupErrorCode.HandlerFailed));
        var timeout = Assert.ThrowsAsync<GroupException>(() => owner.Group.UnicastAsync(silent.Id, "x"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.That(timeout!.Code, Is.EqualTo(GroupErrorCode.Timeout));

        Assert.That(duration.Tagged(("p2p.request.outcome", "error")).Count(), Is.EqualTo(1));
        var timedOut = duration.Tagged(("p2p.request.outcome", "timeout")).ToList();
        Assert.That(timedOut, Has.Count.EqualTo(1));
        Assert.That(timedOut[0].Value, Is.GreaterThanOrEqualTo(0.25));
        Assert.That(duration.Tagged(("p2p.request.outcome", "ok")), Is.Empty);
        await sent.UntilAsync(c => c.Total(("p2p.message.kind", "error")) == 1, "the failing member's error answer to be counted");
    }

    [Test]
    public async Task A_member_reached_only_through_a_third_is_counted_as_relayed_and_the_relay_counts_the_frames_it_forwards()
    {
        using var members = Collected.Of<long>("p2p.group.members");
        using var forwarded = Collected.Of<long>("p2p.relay.forwarded.frames");
        using var forwardedBytes = Collected.Of<long>("p2p.relay.forwarded.bytes");
        using var routes = Collected.Of<long>("p2p.relay.routes.found");
        using var routesLost = Collected.Of<long>("p2p.relay.routes.lost");
        using var sent = Collected.Of<long>("p2p.messages.sent");
        using var received = Collected.Of<long>("p2p.messages.received");
        using var duration = Collected.Of<double>("p2p.request.duration");
        using var setup = Collected.Of<double>("p2p.link.setup.duration");
        await using var mesh = _mesh = await TestMesh.StartAsync();
        var relay = await mesh.CreateAsync();
        var a = await mesh.JoinAsync(relay.Group.Id);
        await TestMesh.WaitForFullMeshAsync([relay, a]);
        string? aId = a.Id;
        mesh.Network.Fault = c => (c.LocalUserId == aId && c.RemoteUserId != relay.Id) || (c.RemoteUserId == aId && c.LocalUserId != relay.Id)
            ? InMemoryFault.Fail
            : InMemoryFault.None;
        var b = await mesh.JoinAsync(relay.Group.Id);
        await a.Changes.UntilAsync(() => a.Group.GetMember(b.Id) is { State: PeerState.Relayed }, "a to reach b through the relay");
        await b.Changes.UntilAsync(() => b.Group.GetMember(a.Id) is { State: PeerState.Relayed }, "b to reach a through the relay");

        var byState = Observe(members);
        Assert.That(byState["relayed"], Is.EqualTo(2), "a and b each see the other relayed");
        Assert.That(byState["connected"], Is.EqualTo(4), "the relay sees both connected, and both see the relay connected");
        Assert.That(routes.Total(), Is.GreaterThanOrEqualTo(2), "a route each way");
        Assert.That(setup.Tagged(("p2p.link.outcome", "failed")), Is.Not.Empty, "a and b's direct attempts failed");

        var before = forwarded.Total();
        var reply = await a.Group.UnicastAsync(b.Id, "through"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo($"{b.Id}:through"));

        Assert.That(forwarded.Total() - before, Is.GreaterThanOrEqualTo(4), "request, its ack, reply and its ack crossed the relay");
        Assert.That(forwardedBytes.Total(), Is.GreaterThan(forwarded.Total()));
        Assert.That(sent.Total(("p2p.message.kind", "request"), ("p2p.message.path", "relayed")), Is.EqualTo(1));
        await received.UntilAsync(c => c.Total(("p2p.message.kind", "reply"), ("p2p.message.path", "relayed")) == 1, "a to count the relayed reply");
        Assert.That(received.Total(("p2p.message.kind", "request"), ("p2p.message.path", "relayed")), Is.EqualTo(1));
        await sent.UntilAsync(c => c.Total(("p2p.message.kind", "reply"), ("p2p.message.path", "relayed")) == 1, "b to count its reply once a acknowledged it");
        Assert.That(duration.Tagged(("p2p.request.outcome", "ok"), ("p2p.message.path", "relayed")).Count(), Is.EqualTo(1));

        Assert.That(routesLost.Total(), Is.Zero);
        await relay.Service.DisposeAsync();
        await routesLost.UntilAsync(c => c.Total() == 2, "a and b to lose their routes through the member that left");
    }

    /// <summary>Members by state, as an exporter would read them now.</summary>
    [Test]
    public async Task Links_report_the_transports_round_trip_time_and_retransmissions_and_those_of_ended_connections_stay_counted()
    {
        using var rtt = Collected.Of<double>("p2p.link.rtt");
        using var retransmissions = Collected.Of<long>("p2p.link.retransmissions");
        await using var mesh = _mesh = await TestMesh.StartAsync();
        var before = ObserveTotal(retransmissions); // the meter is process-wide: earlier tests' connections count too
        var all = await FormOneByOneAsync(mesh, 3);
        foreach (var connection in mesh.Network.Connections)
        {
            connection.Statistics = new PeerConnectionStatistics { RoundTripTime = TimeSpan.FromMilliseconds(3), Retransmissions = 5 };
        }

        LinkStatisticsMetrics.Sample();
        Assert.That(rtt.GetMeasurementSnapshot().Select(m => m.Value), Is.EqualTo(Enumerable.Repeat(0.003, 6)), "one sample per connected link side");
        Assert.That(rtt.GetMeasurementSnapshot().SelectMany(m => m.Tags), Is.Empty, "no member or group id as a tag");
        Assert.That(ObserveTotal(retransmissions) - before, Is.EqualTo(30), "six connections' five retransmissions");

        var third = all[2];
        var thirdsConnections = mesh.Network.Connections
            .Where(c => c.Context.LocalUserId == third.Id || c.Context.RemoteUserId == third.Id).ToArray();
        Assert.That(thirdsConnections, Has.Length.EqualTo(4));
        var closed = Task.WhenAll(thirdsConnections.Select(ClosedAsync));
        await third.Service.DisposeAsync();
        await closed.WaitAsync(TimeSpan.FromSeconds(15));

        // The four ended connections' 20 stay counted; the two left now report 6 each.
        foreach (var connection in mesh.Network.Connections.Except(thirdsConnections))
        {
            connection.Statistics = new PeerConnectionStatistics { RoundTripTime = TimeSpan.FromMilliseconds(3), Retransmissions = 6 };
        }

        Assert.That(ObserveTotal(retransmissions) - before, Is.EqualTo(32), "ended connections' retransmissions stay in the total");

        rtt.Clear();
        LinkStatisticsMetrics.Sample();
        Assert.That(rtt.GetMeasurementSnapshot(), Has.Count.EqualTo(2), "only connected links are sampled");
    }

    private static Task ClosedAsync(InMemoryConnection connection)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.StateChanged += (_, state) =>
        {
            if (state is PeerConnectionState.Closed or PeerConnectionState.Failed)
            {
                closed.TrySetResult();
            }
        };
        if (connection.State is PeerConnectionState.Closed or PeerConnectionState.Failed)
        {
            closed.TrySetResult();
        }

        return closed.Task;
    }

    private static long ObserveTotal(MetricCollector<long> counter)
    {
        counter.Clear();
        counter.RecordObservableInstruments();
        return counter.GetMeasurementSnapshot().Single().Value;
    }

    private static Dictionary<string, long> Observe(MetricCollector<long> members)
    {
        members.Clear();
        members.RecordObservableInstruments();
        return members.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["p2p.member.state"]!, m => m.Value);
    }

    /// <summary>A group of <paramref name="count"/>, each member joining once the previous ones are all connected.</summary>
    internal static async Task<TestMember[]> FormOneByOneAsync(TestMesh mesh, int count)
    {
        List<TestMember> all = [await mesh.CreateAsync()];
        while (all.Count < count)
        {
            all.Add(await mesh.JoinAsync(all[0].Group.Id));
            await TestMesh.WaitForFullMeshAsync(all);
        }

        return [.. all];
    }
}
