using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Testing.Network;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>
/// ICE through the virtual network in virtual time: two agents behind every pair of NAT types, with host and
/// server-reflexive candidates and no relay; which pairs connect, and that the others fail. Then link cuts and
/// consent freshness (RFC 7675).
/// </summary>
[Parallelizable(ParallelScope.All)]
public class IceThroughNatTests
{
    /// <summary>The NAT types of the matrix, by name (test names stay readable).</summary>
    private static readonly Dictionary<string, NatBehavior> Types = new()
    {
        ["None"] = NatBehavior.None,
        ["FullCone"] = NatBehavior.FullCone, // EIM/EIF
        ["RestrictedCone"] = NatBehavior.RestrictedCone, // EIM/ADF
        ["PortRestrictedCone"] = NatBehavior.PortRestrictedCone, // EIM/APDF
        ["AddressDependent"] = NatBehavior.AddressDependent, // ADM/ADF
        ["Symmetric"] = NatBehavior.Symmetric, // APDM/APDF
    };

    /// <summary>
    /// The pairs no host/srflx/prflx candidate pair can cross without a relay: both NATs filter by port or map per
    /// destination such that neither side's check ever passes the other's filter.
    /// </summary>
    private static readonly HashSet<(string, string)> NeedRelay =
    [
        ("PortRestrictedCone", "Symmetric"),
        ("AddressDependent", "Symmetric"),
        ("Symmetric", "Symmetric"),
        ("AddressDependent", "PortRestrictedCone"),
        ("AddressDependent", "AddressDependent"),
    ];

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static IEnumerable<TestCaseData> Matrix() =>
        from a in Types.Keys
        from b in Types.Keys
        let fails = NeedRelay.Contains((a, b)) || NeedRelay.Contains((b, a))
        select new TestCaseData(a, b, !fails).SetName($"NatMatrix_{a}_{b}_{(fails ? "FailsWithoutRelay" : "Connects")}");

    [TestCaseSource(nameof(Matrix))]
    public async Task Nat_matrix(string natA, string natB, bool connects)
    {
        await using var pair = new IceNatPair(Types[natA], Types[natB]);
        pair.GatherAndExchange();

        // Candidates: a host candidate each; a srflx one behind a NAT (behind a plain router it equals the host
        // candidate and is eliminated as redundant, RFC 8445 §5.1.3).
        foreach (var (agent, nat) in new[] { (pair.A, Types[natA]), (pair.B, Types[natB]) })
        {
            var types = pair.Signalled(agent).Select(c => c.Type).ToArray();
            Assert.That(types, Is.EquivalentTo(nat.Translates
                ? new[] { IceCandidateType.Host, IceCandidateType.ServerReflexive }
                : new[] { IceCandidateType.Host }));
        }

        pair.Run(Limit);
        TestContext.Out.WriteLine($"{natA} <-> {natB}: A {pair.A.ConnectionState} {pair.A.SelectedPair}; B {pair.B.ConnectionState} {pair.B.SelectedPair}; at {pair.Net.Now.TotalSeconds:0.###} s; {pair.Net.Counters}");

        if (connects)
        {
            Assert.That(pair.BothConnected, Is.True, $"{natA} <-> {natB} connects; A {pair.A.ConnectionState}, B {pair.B.ConnectionState}; {pair.Net.Counters}");
            var selectedA = pair.A.SelectedPair!;
            var selectedB = pair.B.SelectedPair!;
            Assert.Multiple(() =>
            {
                Assert.That(selectedA.Nominated, Is.True);

                // Each side's local candidate of the selected pair is the address its peer sees (the mapped one when the
                // check's response reveals a translation): behind a NAT, the NAT's external address.
                var expectedA = Types[natA].Translates ? pair.RouterA.ExternalAddress : pair.HostA.Address;
                var expectedB = Types[natB].Translates ? pair.RouterB.ExternalAddress : pair.HostB.Address;
                Assert.That(selectedA.Local.Address, Is.EqualTo(expectedA.ToString()));
                Assert.That(selectedB.Local.Address, Is.EqualTo(expectedB.ToString()));
                Assert.That($"{selectedA.Remote.Address}:{selectedA.Remote.Port}", Is.EqualTo($"{selectedB.Local.Address}:{selectedB.Local.Port}"));
                Assert.That($"{selectedB.Remote.Address}:{selectedB.Remote.Port}", Is.EqualTo($"{selectedA.Local.Address}:{selectedA.Local.Port}"));
            });

            // The data path works both ways through the NATs.
            AssertDataFlows(pair);
        }
        else
        {
            Assert.That(pair.BothFailed, Is.True, $"{natA} <-> {natB} cannot connect without a relay; A {pair.A.ConnectionState}, B {pair.B.ConnectionState}; {pair.Net.Counters}");
            Assert.That(pair.Net.Counters.Dropped(DatagramDropReason.Filtered) + pair.Net.Counters.Dropped(DatagramDropReason.NoMapping), Is.Positive, "the NATs refused the checks");
            Assert.That(pair.A.GetCandidatePairs(), Has.All.Property(nameof(IceCandidatePairInfo.State)).EqualTo(IceCandidatePairState.Failed));
        }
    }

    [Test]
    public async Task Cut_link_disconnects_and_reconnects_when_restored()
    {
        await using var pair = new IceNatPair(NatBehavior.PortRestrictedCone, NatBehavior.RestrictedCone);
        pair.GatherAndExchange();
        pair.Run(Limit);
        Assert.That(pair.BothConnected, Is.True);

        pair.HostA.Link.Cut();
        var disconnected = pair.Net.AdvanceUntil(
            () => pair.A.ConnectionState == IceConnectionState.Disconnected && pair.B.ConnectionState == IceConnectionState.Disconnected,
            TimeSpan.FromSeconds(20));
        Assert.That(disconnected, Is.True, $"A {pair.A.ConnectionState}, B {pair.B.ConnectionState}");
        Assert.That(pair.Net.Counters.Dropped(DatagramDropReason.LinkCut), Is.Positive);

        pair.HostA.Link.Restore();
        var reconnected = pair.Net.AdvanceUntil(() => pair.BothConnected, TimeSpan.FromSeconds(15));
        Assert.That(reconnected, Is.True, $"A {pair.A.ConnectionState}, B {pair.B.ConnectionState}");
        AssertDataFlows(pair);
    }

    [Test]
    public async Task Cut_link_expires_consent_after_consent_failure_timeout()
    {
        await using var pair = new IceNatPair(NatBehavior.RestrictedCone, NatBehavior.FullCone);
        pair.GatherAndExchange();
        pair.Run(Limit);
        Assert.That(pair.BothConnected, Is.True);
        var cutAt = pair.Net.Now;

        pair.RouterB.Link.Cut();
        pair.Net.Advance(TimeSpan.FromSeconds(25));
        Assert.That(pair.A.ConnectionState, Is.EqualTo(IceConnectionState.Disconnected), "silent, not yet expired");

        var failed = pair.Net.AdvanceUntil(() => pair.BothFailed, TimeSpan.FromSeconds(10));
        Assert.Multiple(() =>
        {
            Assert.That(failed, Is.True, $"A {pair.A.ConnectionState}, B {pair.B.ConnectionState}");
            Assert.That(pair.Net.Now - cutAt, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(30)).And.LessThan(TimeSpan.FromSeconds(31)),
                "consent expires 30 s after the last response (RFC 7675 §5.1)");
        });

        // Restoring the link does not bring a failed agent back.
        pair.RouterB.Link.Restore();
        pair.Net.Advance(TimeSpan.FromSeconds(10));
        Assert.That(pair.A.ConnectionState, Is.EqualTo(IceConnectionState.Failed));
    }

    [Test]
    public async Task Lossy_jittery_links_still_connect()
    {
        await using var pair = new IceNatPair(NatBehavior.RestrictedCone, NatBehavior.PortRestrictedCone, seed: 7);
        foreach (var link in new[] { pair.RouterA.Link, pair.RouterB.Link })
        {
            link.Conditions = new LinkConditions
            {
                Loss = 0.2, Delay = TimeSpan.FromMilliseconds(40), Jitter = TimeSpan.FromMilliseconds(30), Duplication = 0.05, Reordering = 0.1,
            };
        }

        pair.GatherAndExchange();
        pair.Run(Limit);

        Assert.That(pair.BothConnected, Is.True, $"A {pair.A.ConnectionState}, B {pair.B.ConnectionState}; {pair.Net.Counters}");
        Assert.That(pair.Net.Counters.Dropped(DatagramDropReason.Loss), Is.Positive);
    }

    [Test]
    public async Task Nat_mappings_with_the_rfc_4787MinimumTimeout_are_kept_alive_by_consent_checks()
    {
        var twoMinutes = TimeSpan.FromMinutes(2); // RFC 4787 REQ-5: at least 2 minutes
        await using var other = new IceNatPair(NatBehavior.PortRestrictedCone with { MappingTimeout = twoMinutes }, NatBehavior.RestrictedCone with { MappingTimeout = twoMinutes });
        other.GatherAndExchange();
        other.Run(Limit);
        Assert.That(other.BothConnected, Is.True);
        var selected = other.A.SelectedPair;

        other.Net.Advance(TimeSpan.FromMinutes(5));
        Assert.Multiple(() =>
        {
            Assert.That(other.BothConnected, Is.True, $"A {other.A.ConnectionState}, B {other.B.ConnectionState}");
            Assert.That(other.A.SelectedPair, Is.EqualTo(selected));
            Assert.That(other.Net.Counters.Dropped(DatagramDropReason.NoMapping), Is.Zero, "no mapping expired");
        });
        AssertDataFlows(other);
    }

    [Test]
    public async Task Nat_mappings_that_expire_between_consent_checks_end_in_consent_expiry()
    {
        // Below RFC 4787 REQ-5 (2 min): a 3 s mapping timeout, shorter than the consent interval. Once both mappings have
        // expired, each consent check leaves through a new mapping (a new external port) and reaches the peer's old
        // port, whose mapping is gone: consent expires on both sides. Made deterministic: the checks of the pairs still
        // in progress at selection (which refresh the endpoint-independent mappings) end within 3.5 s (3 transmissions),
        // and the first consent check comes at least 8 s after selection (10 s ± 20 %), when both mappings are gone.
        var brief = TimeSpan.FromSeconds(3);
        await using var pair = new IceNatPair(
            NatBehavior.PortRestrictedCone with { MappingTimeout = brief },
            NatBehavior.PortRestrictedCone with { MappingTimeout = brief },
            tweak: o => o with { MaxCheckTransmissions = 3, ConsentInterval = TimeSpan.FromSeconds(10) });
        pair.GatherAndExchange();
        pair.Run(Limit);
        Assert.That(pair.BothConnected, Is.True);

        var connectedAt = pair.Net.Now;
        var failed = pair.Net.AdvanceUntil(() => pair.BothFailed, TimeSpan.FromSeconds(45));
        Assert.Multiple(() =>
        {
            Assert.That(failed, Is.True, $"A {pair.A.ConnectionState}, B {pair.B.ConnectionState}");
            Assert.That(pair.Net.Now - connectedAt, Is.LessThan(TimeSpan.FromSeconds(31)), "no consent response after selection");
            Assert.That(pair.Net.Counters.Dropped(DatagramDropReason.NoMapping), Is.Positive);
        });
    }

    [Test]
    public async Task Behind_the_same_nat_host_candidates_connect_directly()
    {
        var net = new VirtualNetwork(11);
        using var stun = new VirtualStunServer(net.Internet.AddHost("stun"));
        var nat = net.Internet.AddRouter("nat", NatBehavior.Symmetric); // no hairpinning: only the host pair can work
        var hostA = nat.Inside.AddHost("a");
        var hostB = nat.Inside.AddHost("b");
        await using var a = new IceAgent(new IceAgentOptions { Role = IceRole.Controlling, SocketFactory = hostA, TimeProvider = net.TimeProvider, StunServers = [stun.EndPoint] });
        await using var b = new IceAgent(new IceAgentOptions { Role = IceRole.Controlled, SocketFactory = hostB, TimeProvider = net.TimeProvider, StunServers = [stun.EndPoint] });
        a.StartGathering();
        b.StartGathering();
        Assert.That(net.AdvanceUntil(() => a.GatheringState == IceGatheringState.Complete && b.GatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(10)), Is.True);
        IceNatPair.SignalEverything(a, b);

        Assert.That(net.AdvanceUntil(() => IceNatPair.IsConnected(a) && IceNatPair.IsConnected(b), Limit), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(a.SelectedPair!.Local.Type, Is.EqualTo(IceCandidateType.Host));
            Assert.That(a.SelectedPair.Remote.Address, Is.EqualTo(hostB.Address.ToString()));
            Assert.That(a.SelectedPair.Remote.Type, Is.EqualTo(IceCandidateType.Host));
        });
    }

    [Test]
    public async Task Same_seed_same_connection()
    {
        var first = await ConnectOnce(21);
        var again = await ConnectOnce(21);
        var other = await ConnectOnce(22);

        Assert.That(again, Is.EqualTo(first), "the connecting phase and a minute of consent checks are reproducible from the seed");
        Assert.That(other, Is.Not.EqualTo(first));

        static async Task<string> ConnectOnce(int seed)
        {
            await using var pair = new IceNatPair(NatBehavior.RestrictedCone, NatBehavior.Symmetric, seed);
            pair.RouterA.Link.Conditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), Jitter = TimeSpan.FromMilliseconds(15), Loss = 0.1 };
            pair.GatherAndExchange();
            pair.Run(Limit);
            Assert.That(pair.BothConnected, Is.True);
            var connected = $"{pair.A.SelectedPair} | {pair.B.SelectedPair} | {pair.Net.Now.Ticks} | {pair.Net.Counters}";
            pair.Net.Advance(TimeSpan.FromMinutes(1)); // consent checks at randomized intervals (IceAgentOptions.Random)
            return $"{connected} || {pair.Net.Counters}";
        }
    }

    [Test]
    public async Task Multihomed_host_gathers_a_host_candidate_per_address()
    {
        var net = new VirtualNetwork(4);
        var host = net.Internet.AddHost("multihomed", System.Net.IPAddress.Parse("203.0.113.50"), System.Net.IPAddress.Parse("198.51.100.50"));
        var peer = net.Internet.AddRouter("nat", NatBehavior.FullCone).Inside.AddHost("peer");
        await using var a = new IceAgent(new IceAgentOptions { SocketFactory = host, TimeProvider = net.TimeProvider });
        await using var b = new IceAgent(new IceAgentOptions { Role = IceRole.Controlled, SocketFactory = peer, TimeProvider = net.TimeProvider });
        a.StartGathering();
        b.StartGathering();
        net.Advance(TimeSpan.FromMilliseconds(10));

        Assert.That(a.GetLocalCandidates().Select(c => c.Address), Is.EquivalentTo(new[] { "203.0.113.50", "198.51.100.50" }));
        IceNatPair.SignalEverything(a, b);

        Assert.That(net.AdvanceUntil(() => IceNatPair.IsConnected(a) && IceNatPair.IsConnected(b), Limit), Is.True);
        Assert.That(b.GetRemoteCandidates().Count(c => c.Type == IceCandidateType.Host), Is.EqualTo(2));
    }

    /// <summary>The example of docs/webrtc.md ("The virtual network: testing through NATs"), as written there.</summary>
    [Test]
    public async Task The_documentation_example_connects()
    {
        var net = new VirtualNetwork(seed: 1);
        using var stun = new VirtualStunServer(net.Internet.AddHost("stun"));
        var natA = net.Internet.AddRouter("natA", NatBehavior.PortRestrictedCone);
        var natB = net.Internet.AddRouter("natB", NatBehavior.RestrictedCone);
        natA.Link.Conditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(20), Loss = 0.05 };

        IceAgentOptions Options(IceRole role, VirtualHost host) => new()
        {
            Role = role, SocketFactory = host, TimeProvider = net.TimeProvider, StunServers = [stun.EndPoint],
        };
        await using var a = new IceAgent(Options(IceRole.Controlling, natA.Inside.AddHost("a")));
        await using var b = new IceAgent(Options(IceRole.Controlled, natB.Inside.AddHost("b")));
        a.StartGathering();
        b.StartGathering();
        net.AdvanceUntil(() => a.GatheringState == IceGatheringState.Complete && b.GatheringState == IceGatheringState.Complete,
            TimeSpan.FromSeconds(10));
        foreach (var (from, to) in new[] { (a, b), (b, a) }) // signalling, synchronously: host and srflx candidates
        {
            to.SetRemoteCredentials(from.LocalUfrag, from.LocalPassword);
            foreach (var c in from.GetLocalCandidates())
            {
                to.AddRemoteCandidate(c);
            }

            to.AddRemoteEndOfCandidates();
        }

        var connected = net.AdvanceUntil(() => a.SelectedPair is not null && b.SelectedPair is not null, TimeSpan.FromSeconds(30));
        Assert.That(connected, Is.True, net.Counters.ToString());
    }

    [Test]
    public async Task Matrix_run_is_fast_in_wall_clock_time()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await using var pair = new IceNatPair(NatBehavior.Symmetric, NatBehavior.Symmetric);
        pair.GatherAndExchange();
        pair.Run(Limit);
        Assert.That(pair.BothFailed, Is.True);
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), $"{pair.Net.Now} of virtual time");
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
        pair.Net.Advance(TimeSpan.FromMilliseconds(100));
        Assert.That((atA, atB), Is.EqualTo((1, 1)), "a datagram each way over the selected pair");
    }
}
