using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Testing.Network;
using P2p.WebRtc.Turn;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>
/// Two ICE agents, each on a host behind its own router (a NAT or a plain router) on the virtual Internet, with a
/// STUN server there (and, if asked, a TURN server both agents allocate on); everything in the network's virtual time.
/// Candidates are exchanged once both have gathered (host, server-reflexive and relayed ones), synchronously: no event
/// handler is involved.
/// </summary>
public sealed class IceNatPair : IAsyncDisposable
{
    public const string TurnUser = "p2p";
    public const string TurnPassword = "relay-secret";

    public IceNatPair(NatBehavior natA, NatBehavior natB, int seed = 1, Func<IceAgentOptions, IceAgentOptions>? tweak = null, bool turn = false)
    {
        Net = new VirtualNetwork(seed);
        Stun = new VirtualStunServer(Net.Internet.AddHost("stun"));
        RouterA = Net.Internet.AddRouter("natA", natA);
        RouterB = Net.Internet.AddRouter("natB", natB);
        HostA = RouterA.Inside.AddHost("a");
        HostB = RouterB.Inside.AddHost("b");

        // Some distance: 5 ms per host link, 10 ms per uplink (a 30 ms one-way path between the peers).
        foreach (var link in new[] { HostA.Link, HostB.Link })
        {
            link.Conditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(5) };
        }

        foreach (var link in new[] { RouterA.Link, RouterB.Link })
        {
            link.Conditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(10) };
        }

        if (turn)
        {
            Turn = new VirtualTurnServer(Net.Internet.AddHost("turn"));
            Turn.AddUser(TurnUser, TurnPassword);
        }

        tweak ??= o => o;
        A = new IceAgent(tweak(Options(IceRole.Controlling, HostA, seed)));
        B = new IceAgent(tweak(Options(IceRole.Controlled, HostB, seed + 1)));
    }

    public VirtualNetwork Net { get; }

    public VirtualStunServer Stun { get; }

    /// <summary>The TURN server, when the pair was made with one.</summary>
    public VirtualTurnServer? Turn { get; }

    public VirtualRouter RouterA { get; }

    public VirtualRouter RouterB { get; }

    public VirtualHost HostA { get; }

    public VirtualHost HostB { get; }

    public IceAgent A { get; }

    public IceAgent B { get; }

    public bool BothConnected => IsConnected(A) && IsConnected(B);

    public bool BothFailed => A.ConnectionState == IceConnectionState.Failed && B.ConnectionState == IceConnectionState.Failed;

    public static bool IsConnected(IceAgent agent) =>
        agent.ConnectionState is IceConnectionState.Connected or IceConnectionState.Completed && agent.SelectedPair is not null;

    /// <summary>Gathers on both (host and srflx), then signals credentials, candidates and end-of-candidates both ways.</summary>
    public void GatherAndExchange()
    {
        A.StartGathering();
        B.StartGathering();
        Func<bool> complete = () => A.GatheringState == IceGatheringState.Complete && B.GatheringState == IceGatheringState.Complete;
        var gathered = Turn is null ? Net.AdvanceUntil(complete, TimeSpan.FromSeconds(10)) : AdvanceUntilPatiently(complete, TimeSpan.FromSeconds(10));
        Assert.That(gathered, Is.True, "gathering completes");
        Signal(A, B);
        Signal(B, A);
    }

    /// <summary>
    /// Advances in 1 ms steps until <paramref name="condition"/> holds; a step that finds nothing in flight first gives
    /// the agents' background work up to 5 ms of real time to send something (TURN allocations continue on the thread
    /// pool), so virtual time does not run ahead of it.
    /// </summary>
    public bool AdvanceUntilPatiently(Func<bool> condition, TimeSpan limit)
    {
        var end = Net.Now + limit;
        while (!condition())
        {
            if (Net.Now >= end)
            {
                return false;
            }

            if (Net.InFlight == 0)
            {
                SpinWait.SpinUntil(() => Net.InFlight > 0 || condition(), 5);
            }

            Net.Advance(TimeSpan.FromMilliseconds(1));
        }

        return true;
    }

    /// <summary>The TURN server entry for the agents' options, with the given credentials.</summary>
    public TurnServer TurnServerEntry(string username = TurnUser, string password = TurnPassword) =>
        new(Turn!.EndPoint.Address.ToString(), Turn.EndPoint.Port, TurnTransport.Udp, username, password);

    /// <summary>Runs until both are connected or both failed (or the limit passes).</summary>
    public void Run(TimeSpan limit) => Net.AdvanceUntil(() => BothConnected || BothFailed, limit);

    /// <summary>Signals each agent's credentials and all of its local candidates to the other, then end-of-candidates.</summary>
    public static void SignalEverything(IceAgent a, IceAgent b)
    {
        foreach (var (from, to) in new[] { (a, b), (b, a) })
        {
            to.SetRemoteCredentials(from.LocalUfrag, from.LocalPassword);
            foreach (var c in from.GetLocalCandidates())
            {
                to.AddRemoteCandidate(c);
            }

            to.AddRemoteEndOfCandidates();
        }
    }

    public IReadOnlyList<IceCandidate> Signalled(IceAgent agent) =>
        agent.GetLocalCandidates().Where(c => c.Type is IceCandidateType.Host or IceCandidateType.ServerReflexive or IceCandidateType.Relayed).ToArray();

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        Stun.Dispose();
        Turn?.Dispose();
    }

    private void Signal(IceAgent from, IceAgent to)
    {
        to.SetRemoteCredentials(from.LocalUfrag, from.LocalPassword);
        foreach (var c in Signalled(from))
        {
            to.AddRemoteCandidate(c.ToString());
        }

        to.AddRemoteEndOfCandidates();
    }

    private IceAgentOptions Options(IceRole role, VirtualHost host, int seed) => new()
    {
        Role = role,
        SocketFactory = host,
        TimeProvider = Net.TimeProvider,
        StunServers = [Stun.EndPoint],
        TurnServers = Turn is null ? [] : [TurnServerEntry()],
        Random = new Random(seed), // the consent jitter: the connected phase reproduces from the seed too
    };
}
