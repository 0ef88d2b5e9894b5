using System.Collections.Concurrent;
using System.Diagnostics;
using P2p.Core.Tests.Support;

namespace P2p.Core.Tests.Diagnostics;

/// <summary>The "P2p.Core" activity source (docs/telemetry.md), heard through a plain <see cref="ActivityListener"/>.</summary>
[CancelAfter(60_000)]
public sealed class CoreActivityTests
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly Signal _stoppedSignal = new();
    private ActivityListener? _listener;
    private TestMesh? _mesh;

    [SetUp]
    public void Listen()
    {
        _stopped.Clear();
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == P2pTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                _stopped.Enqueue(activity);
                _stoppedSignal.Pulse();
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [TearDown]
    public void StopListening()
    {
        _listener?.Dispose();
        _mesh?.PrintLogIfTestFailed();

        _mesh = null;
    }

    [Test]
    public async Task Creating_and_joining_a_group_and_every_link_attempt_are_activities_with_their_outcome_and_role()
    {
        await using var mesh = _mesh = await TestMesh.StartAsync();
        var all = await CoreMetricsTests.FormOneByOneAsync(mesh, 3);
        var groupId = all[0].Group.Id;

        await _stoppedSignal.UntilAsync(() => Named("p2p.link.connect").Count == 6, "an activity for each side of the 3 links");
        var create = Named("p2p.group.create").Single();
        Assert.Multiple(() =>
        {
            Assert.That(create.Status, Is.EqualTo(ActivityStatusCode.Ok));
            Assert.That(create.Kind, Is.EqualTo(ActivityKind.Client));
            Assert.That(create.GetTagItem("p2p.group.id"), Is.EqualTo(groupId));
            Assert.That(create.GetTagItem("p2p.member.local_id"), Is.EqualTo(all[0].Id));
        });

        var joins = Named("p2p.group.join");
        Assert.That(joins, Has.Count.EqualTo(2));
        Assert.That(joins.Select(j => j.Status), Is.All.EqualTo(ActivityStatusCode.Ok));
        Assert.That(joins.Select(j => j.GetTagItem("p2p.group.id")), Is.All.EqualTo(groupId));
        Assert.That(joins.Select(j => j.GetTagItem("p2p.member.local_id")), Is.EquivalentTo(new[] { all[1].Id, all[2].Id }));

        var links = Named("p2p.link.connect");
        Assert.Multiple(() =>
        {
            Assert.That(links.Select(l => l.Status), Is.All.EqualTo(ActivityStatusCode.Ok));
            Assert.That(links.Select(l => l.GetTagItem("p2p.link.outcome")), Is.All.EqualTo("connected"));
            Assert.That(links.Count(l => Equals(l.GetTagItem("p2p.link.role"), "offerer")), Is.EqualTo(3));
            Assert.That(links.Count(l => Equals(l.GetTagItem("p2p.link.role"), "answerer")), Is.EqualTo(3));
            Assert.That(links.Select(l => l.GetTagItem("p2p.link.attempt")), Is.All.EqualTo(1L));
            Assert.That(links.Select(l => l.GetTagItem("p2p.group.id")), Is.All.EqualTo(groupId));
        });

        // The joiner's offers start while it joins: they are children of its join activity.
        var lastJoin = joins.Single(j => Equals(j.GetTagItem("p2p.member.local_id"), all[2].Id));
        var offers = links.Where(l => l.ParentSpanId == lastJoin.SpanId).ToList();
        Assert.That(offers, Has.Count.EqualTo(2));
        Assert.That(offers.Select(l => l.GetTagItem("p2p.link.role")), Is.All.EqualTo("offerer"));
    }

    [Test]
    public async Task A_failed_link_attempt_ends_its_activity_with_an_error_status()
    {
        await using var mesh = _mesh = await TestMesh.StartAsync();
        var owner = await mesh.CreateAsync();
        mesh.Network.Fault = _ => InMemoryFault.Fail;
        var joiner = await mesh.JoinAsync(owner.Group.Id);
        await joiner.Changes.UntilAsync(() => joiner.Group.Members.Single().State == PeerState.Failed, "the joiner's attempt to fail");

        await _stoppedSignal.UntilAsync(
            () => Named("p2p.link.connect").Any(l => Equals(l.GetTagItem("p2p.link.outcome"), "failed") && Equals(l.GetTagItem("p2p.link.role"), "offerer")),
            "the offerer's failed attempt");
        var failed = Named("p2p.link.connect").First(l => Equals(l.GetTagItem("p2p.link.outcome"), "failed") && Equals(l.GetTagItem("p2p.link.role"), "offerer"));
        Assert.That(failed.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(failed.StatusDescription, Is.Not.Empty);
        Assert.That(failed.Events.Select(e => e.Name), Does.Contain("exception"));
        mesh.Network.Fault = null;
    }

    [Test]
    public async Task A_unicast_is_a_client_activity_with_ok_status_or_the_error_it_ended_with()
    {
        await using var mesh = _mesh = await TestMesh.StartAsync();
        var owner = await mesh.CreateAsync();
        var failing = await mesh.JoinAsync(owner.Group.Id, o => o.RequestHandler = (_, _, _) => throw new InvalidOperationException("refused"));
        var echo = await mesh.JoinAsync(owner.Group.Id);
        await TestMesh.WaitForFullMeshAsync([owner, failing, echo]);

        await owner.Group.UnicastAsync(echo.Id, "hi"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.ThrowsAsync<GroupException>(() => owner.Group.UnicastAsync(failing.Id, "hi"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10)));

        var unicasts = Named("p2p.unicast");
        Assert.That(unicasts, Has.Count.EqualTo(2));
        var ok = unicasts.Single(u => Equals(u.GetTagItem("p2p.member.id"), echo.Id));
        var error = unicasts.Single(u => Equals(u.GetTagItem("p2p.member.id"), failing.Id));
        Assert.Multiple(() =>
        {
            Assert.That(ok.Kind, Is.EqualTo(ActivityKind.Client));
            Assert.That(ok.Status, Is.EqualTo(ActivityStatusCode.Unset), "OpenTelemetry leaves a successful client span unset");
            Assert.That(ok.GetTagItem("p2p.request.outcome"), Is.EqualTo("ok"));
            Assert.That(ok.GetTagItem("p2p.message.path"), Is.EqualTo("direct"));
            Assert.That(ok.GetTagItem("p2p.message.size"), Is.EqualTo(2));
            Assert.That(error.Status, Is.EqualTo(ActivityStatusCode.Error));
            Assert.That(error.StatusDescription, Does.Contain("refused"));
            Assert.That(error.GetTagItem("p2p.request.outcome"), Is.EqualTo("error"));
            Assert.That(error.GetTagItem("error.type"), Is.EqualTo(nameof(GroupErrorCode.HandlerFailed)));
        });
    }

    [Test]
    public async Task Without_a_listener_no_activity_is_created()
    {
        _listener!.Dispose();
        await using var mesh = _mesh = await TestMesh.StartAsync();
        var all = await CoreMetricsTests.FormOneByOneAsync(mesh, 2);
        await all[0].Group.UnicastAsync(all[1].Id, "hi"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(_stopped, Is.Empty);
    }

    private List<Activity> Named(string name) => [.. _stopped.Where(a => a.OperationName == name)];
}
