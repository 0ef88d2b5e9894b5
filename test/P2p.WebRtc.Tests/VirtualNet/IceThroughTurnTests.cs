using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Testing.Network;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>
/// ICE with the TURN client against the <see cref="VirtualTurnServer"/>, in virtual time: the NAT pairs that cannot
/// connect directly connect through a relayed pair; allocations, permissions and channels are refreshed across half an
/// hour; a stale nonce mid-session is recovered; refused credentials fail promptly with a clear reason.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class IceThroughTurnTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>The NAT pairs no host/srflx/prflx pair crosses (see <see cref="IceThroughNatTests"/>).</summary>
    private static IEnumerable<TestCaseData> NeedRelay() =>
        new (NatBehavior A, NatBehavior B, string Name)[]
        {
            (NatBehavior.PortRestrictedCone, NatBehavior.Symmetric, "PortRestrictedCone_Symmetric"),
            (NatBehavior.AddressDependent, NatBehavior.Symmetric, "AddressDependent_Symmetric"),
            (NatBehavior.Symmetric, NatBehavior.Symmetric, "Symmetric_Symmetric"),
            (NatBehavior.AddressDependent, NatBehavior.PortRestrictedCone, "AddressDependent_PortRestrictedCone"),
            (NatBehavior.AddressDependent, NatBehavior.AddressDependent, "AddressDependent_AddressDependent"),
        }.Select(c => new TestCaseData(c.A, c.B).SetName($"NatMatrix_{c.Name}_ConnectsThroughTurn"));

    [TestCaseSource(nameof(NeedRelay))]
    public async Task Nat_pairs_that_need_a_relay_connect_through_a_relayed_pair(NatBehavior natA, NatBehavior natB)
    {
        await using var pair = new IceNatPair(natA, natB, turn: true);
        pair.GatherAndExchange();
        pair.Run(Limit);
        TestContext.Out.WriteLine($"A {pair.A.ConnectionState} {pair.A.SelectedPair}; B {pair.B.ConnectionState} {pair.B.SelectedPair}; {pair.Net.Counters}; TURN {pair.Turn!.Counters}");

        Assert.That(pair.BothConnected, Is.True, $"A {pair.A.ConnectionState}, B {pair.B.ConnectionState}; {pair.Net.Counters}; TURN {pair.Turn.Counters}");
        var selected = pair.A.SelectedPair!;
        Assert.Multiple(() =>
        {
            foreach (var agent in new[] { pair.A, pair.B })
            {
                Assert.That(pair.Signalled(agent).Count(c => c.Type == IceCandidateType.Relayed), Is.EqualTo(1), "one relayed candidate each");
            }

            Assert.That(new[] { selected.Local.Type, selected.Remote.Type }, Does.Contain(IceCandidateType.Relayed), selected.ToString());
            Assert.That(pair.Turn.AllocationCount, Is.EqualTo(2));
            Assert.That(pair.Turn.Counters.Errors(StunErrorCodes.Unauthenticated), Is.EqualTo(2), "one challenge per client, then authenticated");
        });

        var before = pair.Turn.Counters.RelayedToPeers + pair.Turn.Counters.RelayedToClients;
        AssertDataFlows(pair);
        Assert.That(pair.Turn.Counters.RelayedToPeers + pair.Turn.Counters.RelayedToClients, Is.GreaterThan(before), "the data went through the relay");
    }

    [Test]
    public async Task Two_symmetric_nats_fail_without_a_turn_server_and_connect_with_one()
    {
        await using var without = new IceNatPair(NatBehavior.Symmetric, NatBehavior.Symmetric, seed: 5);
        without.GatherAndExchange();
        without.Run(Limit);
        await using var with = new IceNatPair(NatBehavior.Symmetric, NatBehavior.Symmetric, seed: 5, turn: true);
        with.GatherAndExchange();
        with.Run(Limit);

        Assert.Multiple(() =>
        {
            Assert.That(without.BothFailed, Is.True, $"A {without.A.ConnectionState}, B {without.B.ConnectionState}");
            Assert.That(with.BothConnected, Is.True, $"A {with.A.ConnectionState}, B {with.B.ConnectionState}; TURN {with.Turn!.Counters}");
        });
    }

    [Test]
    public async Task Relay_only_agents_connect_relay_to_relay()
    {
        await using var pair = new IceNatPair(NatBehavior.FullCone, NatBehavior.FullCone, turn: true, tweak: o => o with { TransportPolicy = IceTransportPolicy.Relay });
        pair.GatherAndExchange();
        pair.Run(Limit);

        Assert.That(pair.BothConnected, Is.True, $"A {pair.A.ConnectionState}, B {pair.B.ConnectionState}; TURN {pair.Turn!.Counters}");
        Assert.Multiple(() =>
        {
            Assert.That(pair.Signalled(pair.A).Select(c => c.Type), Is.EqualTo(new[] { IceCandidateType.Relayed }));
            Assert.That(pair.A.SelectedPair!.Local.Type, Is.EqualTo(IceCandidateType.Relayed));
            Assert.That(pair.A.SelectedPair.Remote.Type, Is.EqualTo(IceCandidateType.Relayed));
        });
        AssertDataFlows(pair);
    }

    [Test]
    public async Task Refreshes_keep_a_relayed_connection_alive_for_half_an_hour()
    {
        await using var pair = new IceNatPair(NatBehavior.Symmetric, NatBehavior.Symmetric, turn: true);
        pair.GatherAndExchange();
        pair.Run(Limit);
        Assert.That(pair.BothConnected, Is.True, $"TURN {pair.Turn!.Counters}");
        var selected = pair.A.SelectedPair;
        var connectedAt = pair.Net.Now;
        var droppedWhileConnecting = pair.Turn.Counters.Dropped(VirtualTurnDropReason.NoPermissionFromPeer); // checks that beat a permission

        pair.Net.Resolution = TimeSpan.FromMilliseconds(10); // deliveries stay exact; timers fire up to 10 ms late
        pair.Net.Advance(TimeSpan.FromMinutes(30));

        var turn = pair.Turn;
        TestContext.Out.WriteLine($"TURN {turn.Counters}");
        Assert.Multiple(() =>
        {
            Assert.That(pair.BothConnected, Is.True, $"A {pair.A.ConnectionState}, B {pair.B.ConnectionState}; TURN {turn.Counters}");
            Assert.That(pair.A.SelectedPair, Is.EqualTo(selected));
            Assert.That(turn.Counters.AllocationsExpired, Is.Zero);
            Assert.That(turn.AllocationCount, Is.EqualTo(2));
            foreach (var allocation in turn.GetAllocations())
            {
                Assert.That(allocation.Refreshes, Is.GreaterThanOrEqualTo(3), "a 600 s allocation is refreshed before it expires");
                Assert.That(allocation.ExpiresAt, Is.GreaterThan(pair.Net.Now));
            }

            Assert.That(turn.GetAllocations().Sum(a => a.Permissions.Count), Is.Positive, "permissions refreshed past 300 s");
            Assert.That(turn.Counters.PermissionsInstalled, Is.GreaterThan(6), "each permission refreshed every few minutes");
            Assert.That(turn.Counters.Errors(StunErrorCodes.StaleNonce), Is.Positive, "10-minute nonces went stale and were renewed");
            Assert.That(turn.Counters.Dropped(VirtualTurnDropReason.NoPermissionFromPeer), Is.EqualTo(droppedWhileConnecting), "no peer datagram met an expired permission");
            Assert.That(pair.Net.Now - connectedAt, Is.GreaterThanOrEqualTo(TimeSpan.FromMinutes(30)));
        });
        AssertDataFlows(pair);
    }

    [Test]
    public async Task Channels_carry_the_data_once_bound_and_are_refreshed()
    {
        await using var pair = new IceNatPair(NatBehavior.Symmetric, NatBehavior.Symmetric, turn: true);
        pair.GatherAndExchange();
        pair.Run(Limit);
        Assert.That(pair.BothConnected, Is.True);

        pair.Net.Resolution = TimeSpan.FromMilliseconds(10);
        pair.Net.Advance(TimeSpan.FromMinutes(12));
        var channels = pair.Turn!.GetAllocations().SelectMany(a => a.Channels).ToArray();
        var byChannelBefore = pair.Turn.Counters.ChannelDataFromClientsRelayed + pair.Turn.Counters.ChannelDataToClientsSent;
        AssertDataFlows(pair);

        Assert.Multiple(() =>
        {
            Assert.That(channels, Is.Not.Empty, "the relayed pair's peer got a channel");
            Assert.That(channels, Has.All.Matches<VirtualTurnChannelInfo>(c => c.ExpiresAt > pair.Net.Now), "bound past the first 600 s");
            Assert.That(pair.Turn.Counters.ChannelBinds, Is.GreaterThan(channels.Length), "rebinding refreshed them");
            Assert.That(pair.Turn.Counters.ChannelDataFromClientsRelayed + pair.Turn.Counters.ChannelDataToClientsSent, Is.GreaterThan(byChannelBefore),
                "the data went over a channel");
        });
    }

    [Test]
    public async Task A_stale_nonce_mid_session_is_recovered()
    {
        await using var pair = new IceNatPair(NatBehavior.Symmetric, NatBehavior.Symmetric, turn: true);
        pair.GatherAndExchange();
        pair.Run(Limit);
        Assert.That(pair.BothConnected, Is.True);
        var turn = pair.Turn!;
        var staleBefore = turn.Counters.Errors(StunErrorCodes.StaleNonce);
        var droppedWhileConnecting = turn.Counters.Dropped(VirtualTurnDropReason.NoPermissionFromPeer);

        turn.ExpireNonces();
        pair.Net.Resolution = TimeSpan.FromMilliseconds(10);
        pair.Net.Advance(TimeSpan.FromMinutes(6)); // past the permissions' 300 s: their refreshes meet the 438

        Assert.Multiple(() =>
        {
            Assert.That(turn.Counters.Errors(StunErrorCodes.StaleNonce), Is.GreaterThan(staleBefore));
            Assert.That(pair.BothConnected, Is.True, $"A {pair.A.ConnectionState}, B {pair.B.ConnectionState}; TURN {turn.Counters}");
            Assert.That(turn.AllocationCount, Is.EqualTo(2));
            Assert.That(turn.GetAllocations().Sum(a => a.Permissions.Count), Is.Positive, "permissions were refreshed with the new nonce");
            Assert.That(turn.Counters.Dropped(VirtualTurnDropReason.NoPermissionFromPeer), Is.EqualTo(droppedWhileConnecting), "no permission lapsed");
        });
        AssertDataFlows(pair);
    }

    [TestCase(StunErrorCodes.ServerError, TestName = "One_server_error_on_a_refresh_of_the_relay_in_use_does_not_lose_the_connection")]
    [TestCase(0, TestName = "A_refresh_of_the_relay_in_use_left_unanswered_for_42_s_does_not_lose_the_connection")]
    public async Task A_failed_refresh_of_the_relay_in_use_is_retried_before_the_allocation_expires(int code)
    {
        await using var pair = new IceNatPair(NatBehavior.Symmetric, NatBehavior.Symmetric, turn: true);
        pair.GatherAndExchange();
        pair.Run(Limit);
        Assert.That(pair.BothConnected, Is.True);
        var selected = pair.A.SelectedPair!;
        var relay = selected.Local.Type == IceCandidateType.Relayed ? selected.Local : selected.Remote;
        var turn = pair.Turn!;
        var client = turn.GetAllocations().Single(a => a.Relayed.Port == relay.Port).Client;
        TimeSpan? first = null;
        var refused = 0;
        turn.RequestFilter = r =>
        {
            if (r.Method != StunMethod.Refresh || !r.Client.Equals(client))
            {
                return null;
            }

            first ??= pair.Net.Now;
            return code != 0
                ? (refused++ == 0 ? code : null) // the first refresh only
                : (pair.Net.Now - first < TimeSpan.FromSeconds(42) ? 0 : null); // past the request's 39.5 s timeout
        };

        pair.Net.Resolution = TimeSpan.FromMilliseconds(10);
        pair.Net.Advance(TimeSpan.FromMinutes(15));

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.Not.Null, "the allocation was refreshed");
            if (code != 0)
            {
                Assert.That(turn.Counters.Errors(code), Is.EqualTo(1));
            }
            else
            {
                Assert.That(turn.Counters.Dropped(VirtualTurnDropReason.RequestDroppedOnPurpose), Is.GreaterThanOrEqualTo(7), "every transmission of the refresh");
            }

            Assert.That(turn.Counters.AllocationsExpired, Is.Zero, $"the refresh is retried; TURN {turn.Counters}");
            Assert.That(turn.FindAllocation(client)!.Refreshes, Is.GreaterThanOrEqualTo(1));
            Assert.That(pair.BothConnected, Is.True, $"A {pair.A.ConnectionState}, B {pair.B.ConnectionState}");
        });
        AssertDataFlows(pair);
    }

    [Test]
    public async Task Closing_an_agent_deletes_its_allocation_at_once_instead_of_leaving_it_to_expire()
    {
        await using var pair = new IceNatPair(NatBehavior.Symmetric, NatBehavior.Symmetric, turn: true);
        var agent = new IceAgent(new IceAgentOptions
        {
            SocketFactory = pair.RouterA.Inside.AddHost("c"),
            TimeProvider = pair.Net.TimeProvider,
            TurnServers = [pair.TurnServerEntry()],
            TransportPolicy = IceTransportPolicy.Relay,
        });
        agent.StartGathering();
        Assert.That(pair.AdvanceUntilPatiently(() => agent.GatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(pair.Turn!.AllocationCount, Is.EqualTo(1));

        await agent.DisposeAsync();
        pair.Net.Advance(TimeSpan.FromMilliseconds(100));

        Assert.That(pair.Turn.AllocationCount, Is.Zero, pair.Turn.Counters.ToString());
        Assert.That(pair.Turn.Counters.AllocationsDeleted, Is.EqualTo(1), "a Refresh with LIFETIME 0, not expiry");
    }

    [Test]
    public async Task Refused_credentials_fail_a_relay_only_agent_promptly_with_the_reason()
    {
        await using var pair = new IceNatPair(NatBehavior.Symmetric, NatBehavior.Symmetric, turn: true);
        var errors = new List<IceCandidateErrorEventArgs>();
        await using var agent = new IceAgent(new IceAgentOptions
        {
            SocketFactory = pair.RouterA.Inside.AddHost("c"),
            TimeProvider = pair.Net.TimeProvider,
            TurnServers = [pair.TurnServerEntry(password: "wrong")],
            TransportPolicy = IceTransportPolicy.Relay,
        });
        agent.CandidateError += (_, e) =>
        {
            lock (errors)
            {
                errors.Add(e);
            }
        };
        var started = pair.Net.Now;

        agent.StartGathering();
        var failed = pair.AdvanceUntilPatiently(() => agent.ConnectionState == IceConnectionState.Failed, TimeSpan.FromSeconds(30));
        var reported = SpinWait.SpinUntil(() => { lock (errors) { return errors.Count > 0; } }, TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(failed, Is.True, $"{agent.ConnectionState} after {pair.Net.Now - started}");
            Assert.That(pair.Net.Now - started, Is.LessThan(TimeSpan.FromSeconds(1)), "no retries until a timeout: the 401 ends it");
            Assert.That(reported, Is.True, "CandidateError raised");
            Assert.That(errors.Single().ErrorCode, Is.EqualTo(StunErrorCodes.Unauthenticated));
            Assert.That(errors.Single().ErrorText, Does.Contain($"refused the credentials of user '{IceNatPair.TurnUser}'"));
            Assert.That(pair.Turn!.AllocationCount, Is.Zero);
        });
    }

    [Test]
    public async Task A_server_rejecting_every_credential_leaves_two_symmetric_nats_failed_not_hanging()
    {
        await using var pair = new IceNatPair(NatBehavior.Symmetric, NatBehavior.Symmetric, turn: true);
        pair.Turn!.RejectAllCredentials = true;
        pair.GatherAndExchange();
        pair.Run(Limit);

        Assert.Multiple(() =>
        {
            Assert.That(pair.BothFailed, Is.True, $"A {pair.A.ConnectionState}, B {pair.B.ConnectionState}");
            Assert.That(pair.Signalled(pair.A).Select(c => c.Type), Has.None.EqualTo(IceCandidateType.Relayed));
            Assert.That(pair.Turn.Counters.Errors(StunErrorCodes.Unauthenticated), Is.EqualTo(4), "a challenge and a refusal per agent");
        });
    }

    private static void AssertDataFlows(IceNatPair pair)
    {
        var atB = 0;
        var atA = 0;
        pair.B.Transport.SetReceiveHandler(_ => Interlocked.Increment(ref atB));
        pair.A.Transport.SetReceiveHandler(_ => Interlocked.Increment(ref atA));
        byte[] payload = [23, 1, 2, 3]; // first byte 20–63: DTLS range (RFC 7983)
        pair.A.Transport.Send(payload);
        pair.B.Transport.Send(payload);
        pair.Net.Advance(TimeSpan.FromMilliseconds(200));
        Assert.That((atA, atB), Is.EqualTo((1, 1)), "a datagram each way over the selected pair");
    }
}
