using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Ice;

[Parallelizable(ParallelScope.All)]
public class IceAgentConnectTests
{
    [TestCase(IceRole.Controlling, IceRole.Controlled)]
    [TestCase(IceRole.Controlled, IceRole.Controlling)]
    public async Task Two_agents_connect_over_loopback_with_trickled_candidates(IceRole roleA, IceRole roleB)
    {
        await using var agents = new IceTestAgents(roleA, roleB);
        var logA = new IceEventLog(agents.A);
        var logB = new IceEventLog(agents.B);
        var selectedA = new TaskCompletionSource<IceCandidatePairInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        agents.A.SelectedPairChanged += (_, p) => selectedA.TrySetResult(p);
        var connectedB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        agents.B.ConnectionStateChanged += (_, s) =>
        {
            if (s is IceConnectionState.Connected or IceConnectionState.Completed)
            {
                connectedB.TrySetResult();
            }
        };

        await agents.ConnectAsync();
        var pair = await selectedA.Task.WaitAsync(IceTestAgents.Timeout);

        // B's events come in order on its own dispatcher: once its Connected event is seen, Checking was logged.
        await connectedB.Task.WaitAsync(IceTestAgents.Timeout);

        Assert.Multiple(() =>
        {
            Assert.That(agents.A.ConnectionState, Is.AnyOf(IceConnectionState.Connected, IceConnectionState.Completed));
            Assert.That(agents.B.ConnectionState, Is.AnyOf(IceConnectionState.Connected, IceConnectionState.Completed));
            Assert.That(pair.Nominated, Is.True);
            Assert.That(pair.Local.Address, Is.EqualTo("127.0.0.1"));
            Assert.That(pair.Remote.Port, Is.EqualTo(agents.B.GetLocalCandidates().Single().Port));
            Assert.That(agents.B.SelectedPair!.Remote.Port, Is.EqualTo(agents.A.GetLocalCandidates().Single().Port));
            Assert.That(agents.A.Role, Is.EqualTo(roleA));
            Assert.That(logA.Candidates, Has.Count.EqualTo(1));
            Assert.That(logA.Candidates[0].Type, Is.EqualTo(IceCandidateType.Host));
            Assert.That(logB.States, Does.Contain(IceConnectionState.Checking));
            Assert.That(agents.A.GetStatistics().FirstCheckSent, Is.Not.Null);
        });
    }

    [Test]
    public async Task End_of_candidates_before_any_candidate_does_not_fail_at_once_and_the_late_candidate_still_connects()
    {
        // Trickle over independent signaling messages: the end-of-candidates may overtake the candidates.
        await using var agents = new IceTestAgents(IceRole.Controlling, IceRole.Controlled);
        var (a, b) = (agents.A, agents.B);
        var log = new IceEventLog(b);
        IceTestAgents.GiveCredentials(a, b);
        IceTestAgents.GiveCredentials(b, a);
        b.AddRemoteEndOfCandidates();           // arrives first...
        b.StartGathering();
        a.StartGathering();
        foreach (var c in b.GetLocalCandidates())
        {
            a.AddRemoteCandidate(c);
        }

        await Task.WhenAll(a.ConnectAsync(), b.ConnectAsync()).WaitAsync(IceTestAgents.Timeout);
        Assert.That(log.States, Does.Not.Contain(IceConnectionState.Failed));
    }

    [Test]
    public async Task End_of_candidates_with_no_pair_at_all_fails_after_the_empty_check_list_timeout()
    {
        var options = IceTestAgents.Options(IceRole.Controlled) with { EmptyCheckListTimeout = TimeSpan.FromMilliseconds(300) };
        await using var agent = new IceAgent(options);
        var failed = IceTestAgents.WaitForStateAsync(agent, IceConnectionState.Failed);
        agent.SetRemoteCredentials("abcd", "0123456789012345678901234");
        agent.StartGathering();
        var started = System.Diagnostics.Stopwatch.StartNew();
        agent.AddRemoteEndOfCandidates();
        await failed.WaitAsync(IceTestAgents.Timeout);
        Assert.That(started.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)), "not at once");
    }

    [Test]
    public async Task Both_sides_complete_when_candidates_are_exhausted()
    {
        await using var agents = new IceTestAgents(IceRole.Controlling, IceRole.Controlled);
        var completedA = IceTestAgents.WaitForStateAsync(agents.A, IceConnectionState.Completed);
        var completedB = IceTestAgents.WaitForStateAsync(agents.B, IceConnectionState.Completed);
        await agents.ConnectAsync();
        await Task.WhenAll(completedA, completedB);
        Assert.That(agents.A.GatheringState, Is.EqualTo(IceGatheringState.Complete));
    }

    [TestCase(IceRole.Controlling)]
    [TestCase(IceRole.Controlled)]
    public async Task Role_conflict_is_resolved(IceRole both)
    {
        await using var agents = new IceTestAgents(both, both);
        var roleChanged = new TaskCompletionSource<IceRole>(TaskCreationOptions.RunContinuationsAsynchronously);
        agents.A.RoleChanged += (_, r) => roleChanged.TrySetResult(r);
        agents.B.RoleChanged += (_, r) => roleChanged.TrySetResult(r);

        await agents.ConnectAsync();
        await roleChanged.Task.WaitAsync(IceTestAgents.Timeout);

        Assert.That(agents.A.Role, Is.Not.EqualTo(agents.B.Role));
        var controlling = agents.A.Role == IceRole.Controlling ? agents.A : agents.B;
        var controlled = controlling == agents.A ? agents.B : agents.A;

        // RFC 8445 §7.3.1.1: the larger tie-breaker ends up controlling.
        Assert.That(controlling.TieBreaker, Is.GreaterThanOrEqualTo(controlled.TieBreaker));
        Assert.That(controlling.SelectedPair!.Nominated && controlled.SelectedPair!.Nominated, Is.True);
    }

    [Test]
    public async Task Candidates_arriving_after_checks_started_still_connect()
    {
        await using var agents = new IceTestAgents(IceRole.Controlling, IceRole.Controlled);
        var a = agents.A;
        var b = agents.B;
        var lateCandidates = new List<IceCandidate>();
        b.LocalCandidateGathered += (_, c) =>
        {
            lock (lateCandidates)
            {
                lateCandidates.Add(c);
            }
        };
        var bGathered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        b.GatheringStateChanged += (_, s) =>
        {
            if (s == IceGatheringState.Complete)
            {
                bGathered.TrySetResult();
            }
        };

        // B knows A (credentials, trickled candidates) and checks it; A gets B's credentials but
        // B's candidates only after checks have started (A answers B's checks and learns B as prflx).
        IceTestAgents.Trickle(a, b);
        IceTestAgents.GiveCredentials(a, b);
        b.StartGathering();
        await bGathered.Task.WaitAsync(IceTestAgents.Timeout);
        var aChecking = IceTestAgents.WaitForStateAsync(a, IceConnectionState.Checking);
        IceTestAgents.GiveCredentials(b, a);
        a.StartGathering();
        await aChecking;
        Assert.That(b.GetStatistics().ChecksSent, Is.GreaterThan(0));

        foreach (var c in lateCandidates)
        {
            a.AddRemoteCandidate(c);
        }

        await Task.WhenAll(a.ConnectAsync(), b.ConnectAsync()).WaitAsync(IceTestAgents.Timeout);
        Assert.That(b.SelectedPair, Is.Not.Null);

        // The signalled candidate replaced the peer-reflexive one learned from the same address (RFC 8445 §7.3.1.3).
        Assert.That(a.GetRemoteCandidates().Single().Type, Is.EqualTo(IceCandidateType.Host));
    }

    [Test]
    public async Task Remote_credentials_arriving_after_peer_checks_still_connect()
    {
        // B checks A before A knows anything about B: A answers (its own password suffices), learns
        // B as peer-reflexive, and checks back once B's credentials arrive.
        await using var agents = new IceTestAgents(IceRole.Controlled, IceRole.Controlling);
        var a = agents.A;
        var b = agents.B;
        IceTestAgents.Trickle(a, b);
        IceTestAgents.GiveCredentials(a, b);
        var bChecking = IceTestAgents.WaitForStateAsync(b, IceConnectionState.Checking);
        a.StartGathering();
        b.StartGathering();
        await bChecking;
        Assert.That(a.ConnectionState, Is.EqualTo(IceConnectionState.New));

        IceTestAgents.GiveCredentials(b, a);
        foreach (var c in b.GetLocalCandidates())
        {
            a.AddRemoteCandidate(c); // late: after B's checks began
        }

        await Task.WhenAll(a.ConnectAsync(), b.ConnectAsync()).WaitAsync(IceTestAgents.Timeout);
        Assert.That(a.SelectedPair!.Remote.Port, Is.EqualTo(b.GetLocalCandidates().Single().Port));
    }

    [TestCase(IceRole.Controlling)]
    [TestCase(IceRole.Controlled)]
    public async Task Peer_never_signalled_candidates_is_learned_as_peer_reflexive(IceRole roleOfUninformed)
    {
        var other = roleOfUninformed == IceRole.Controlling ? IceRole.Controlled : IceRole.Controlling;
        await using var agents = new IceTestAgents(roleOfUninformed, other);
        var a = agents.A; // never told B's candidates
        var b = agents.B;
        await ConnectWithATellingOnlyAsync(agents);

        var learned = a.GetRemoteCandidates().Single();
        Assert.Multiple(() =>
        {
            Assert.That(learned.Type, Is.EqualTo(IceCandidateType.PeerReflexive));
            Assert.That(learned.Port, Is.EqualTo(b.GetLocalCandidates().Single().Port));
            Assert.That(a.SelectedPair!.Remote.Type, Is.EqualTo(IceCandidateType.PeerReflexive));
            Assert.That(learned.Priority, Is.EqualTo(IcePriority.Candidate(IceCandidateType.PeerReflexive, 0x7FFF)));
        });
    }

    [Test]
    public async Task Signalling_the_selected_peer_reflexive_candidate_later_reports_the_same_path_with_its_signalled_type()
    {
        // As with a late mDNS resolution: the pair was selected with a remote learned from a check.
        await using var agents = new IceTestAgents(IceRole.Controlled, IceRole.Controlling);
        var a = agents.A; // told B's candidate only after connecting
        var b = agents.B;
        await ConnectWithATellingOnlyAsync(agents);
        Assert.That(a.SelectedPair!.Remote.Type, Is.EqualTo(IceCandidateType.PeerReflexive));
        var path = a.SelectedPair.RemoteEndPoint;

        var changed = new TaskCompletionSource<IceCandidatePairInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.SelectedPairChanged += (_, pair) => changed.TrySetResult(pair);
        a.AddRemoteCandidate(b.GetLocalCandidates().Single());

        var reported = await changed.Task.WaitAsync(IceTestAgents.Timeout);
        Assert.Multiple(() =>
        {
            Assert.That(reported.Remote.Type, Is.EqualTo(IceCandidateType.Host));
            Assert.That(reported.RemoteEndPoint, Is.EqualTo(path), "the same path");
            Assert.That(a.SelectedPair!.Remote.Type, Is.EqualTo(IceCandidateType.Host));
        });
    }

    [Test]
    public async Task Unreachable_remote_candidates_with_end_of_candidates_fail()
    {
        await using var agents = new IceTestAgents(IceRole.Controlling, IceRole.Controlled, o => new IceAgentOptions
        {
            Role = o.Role,
            AddressFilter = o.AddressFilter,
            CheckInterval = o.CheckInterval,
            InitialRto = TimeSpan.FromMilliseconds(20),
            MaxCheckTransmissions = 2,
        });
        var a = agents.A;
        IceTestAgents.GiveCredentials(agents.B, a);
        a.StartGathering();

        // A port nobody listens on (bound, then closed).
        int deadPort;
        using (var s = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)))
        {
            deadPort = ((System.Net.IPEndPoint)s.Client.LocalEndPoint!).Port;
        }

        var failed = IceTestAgents.WaitForStateAsync(a, IceConnectionState.Failed);
        a.AddRemoteCandidate($"candidate:1 1 udp 2130706431 127.0.0.1 {deadPort} typ host");
        a.AddRemoteEndOfCandidates();
        await failed;
        Assert.ThrowsAsync<IceConnectionFailedException>(() => a.ConnectAsync());
        Assert.That(a.Transport.IsClosed, Is.True);
        Assert.That(a.GetCandidatePairs().Single().State, Is.EqualTo(IceCandidatePairState.Failed));
    }

    [Test]
    public async Task Ignored_remote_candidates_do_not_form_pairs()
    {
        await using var agent = new IceAgent(IceTestAgents.Options(IceRole.Controlling));
        agent.StartGathering();
        agent.AddRemoteCandidate("candidate:1 1 udp 1 abcd.local 5000 typ host");
        agent.AddRemoteCandidate("candidate:1 1 tcp 1 127.0.0.1 5000 typ host tcptype passive");
        agent.AddRemoteCandidate("candidate:1 2 udp 1 127.0.0.1 5000 typ host");
        agent.AddRemoteCandidate("candidate:1 1 udp 1 ::1 5000 typ host"); // IPv6, no IPv6 socket
        Assert.That(agent.GetRemoteCandidates(), Has.Count.EqualTo(1));
        Assert.That(agent.GetCandidatePairs(), Is.Empty);
        Assert.Throws<SdpParseException>(() => agent.AddRemoteCandidate("candidate:garbage"));
    }

    [Test]
    public async Task A_peer_that_signals_candidates_without_end_is_held_to_the_cap_and_to_the_pair_limit()
    {
        await using var agent = new IceAgent(IceTestAgents.Options(IceRole.Controlling));
        agent.StartGathering();
        for (var i = 0; i < IceAgent.MaxRemoteCandidates + 500; i++)
        {
            agent.AddRemoteCandidate($"candidate:{i} 1 udp {2130706431 - i} 127.0.0.1 {10000 + i} typ host");
        }

        Assert.That(agent.GetRemoteCandidates(), Has.Count.EqualTo(IceAgent.MaxRemoteCandidates));
        Assert.That(agent.GetCandidatePairs(), Has.Count.LessThanOrEqualTo(new IceAgentOptions().MaxCandidatePairs));
    }

    /// <summary>Connects the agents with credentials both ways but candidates only from A to B: A learns B from its checks.</summary>
    private static async Task ConnectWithATellingOnlyAsync(IceTestAgents agents)
    {
        IceTestAgents.Trickle(agents.A, agents.B);
        IceTestAgents.GiveCredentials(agents.A, agents.B);
        IceTestAgents.GiveCredentials(agents.B, agents.A);
        agents.A.StartGathering();
        agents.B.StartGathering();
        await Task.WhenAll(agents.A.ConnectAsync(), agents.B.ConnectAsync()).WaitAsync(IceTestAgents.Timeout);
    }
}
