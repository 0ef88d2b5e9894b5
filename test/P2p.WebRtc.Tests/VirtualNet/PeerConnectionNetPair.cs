using System.Diagnostics;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Testing.Network;
using P2p.WebRtc.Turn;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>
/// Two <see cref="RtcPeerConnection"/>s on hosts behind two NATs of the virtual Internet (a STUN server there, and a
/// <see cref="VirtualTurnServer"/> if asked), every
/// layer's timers on the network's virtual clock, signalled in-process without trickle (each description is handed
/// over once its side has gathered, candidates and end-of-candidates included), and a data channel "bulk" opened by the
/// offerer.
/// </summary>
/// <remarks>
/// <para>How the virtual clock is driven (<see cref="Drive"/>): the clock moves in 1 ms steps on the test's thread, and
/// every delivery, every ICE and SCTP timer and, once DTLS is connected, every DTLS record, SCTP packet and data channel
/// event is processed right there, inside the step. Three things run on threads of their own, in real time: the DTLS
/// handshake (BouncyCastle's blocking handshake thread), the connection's set-up and close continuations (ICE connected
/// → DTLS → SCTP → DCEP) and the state events (ICE's event thread). While connecting or closing, once either side's ICE
/// has a selected pair, a step that finds nothing in flight first gives those threads up to <see cref="ThreadSlice"/> of
/// real time to send something, so virtual time does not run ahead of a handshake being computed. The links stay
/// lossless until DTLS is connected: BouncyCastle also gates its flight retransmissions on the wall clock, which a
/// virtual clock cannot hasten. The data then flows without any real-time wait: the tests top up the sender inside
/// each step. What remains of chance shifts the seeded loss pattern (where the set-up left the clock, ICE's consent
/// interval drawn from <see cref="Random.Shared"/>): runs differ in detail, not in outcome.</para>
/// </remarks>
internal sealed class PeerConnectionNetPair : IAsyncDisposable
{
    /// <summary>The virtual clock's step.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(1);

    /// <summary>The most real time a step waits for a thread of the connection to send something.</summary>
    public static readonly TimeSpan ThreadSlice = TimeSpan.FromMilliseconds(5);

    /// <summary>The most real time any one <see cref="Drive"/> call may take (a guard against a hang, not a timing).</summary>
    public static readonly TimeSpan RealTimeLimit = TimeSpan.FromSeconds(30);

    private RtcDataChannel? _remote;

    public PeerConnectionNetPair(int seed, Func<IceAgentOptions, IceAgentOptions>? ice = null, NatBehavior? natA = null, NatBehavior? natB = null, bool turn = false)
    {
        Net = new VirtualNetwork(seed);
        Stun = new VirtualStunServer(Net.Internet.AddHost("stun"));
        RouterA = Net.Internet.AddRouter("natA", natA ?? NatBehavior.PortRestrictedCone);
        RouterB = Net.Internet.AddRouter("natB", natB ?? NatBehavior.RestrictedCone);
        HostA = RouterA.Inside.AddHost("a");
        HostB = RouterB.Inside.AddHost("b");
        if (turn)
        {
            Turn = new VirtualTurnServer(Net.Internet.AddHost("turn"));
            Turn.AddUser(IceNatPair.TurnUser, IceNatPair.TurnPassword);
        }

        // 1 ms per host link and 4 ms per uplink: a 10 ms one-way path, 20 ms round trip.
        HostA.Link.Conditions = HostB.Link.Conditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(1) };
        RouterA.Link.Conditions = RouterB.Link.Conditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(4) };

        ice ??= o => o;
        Offerer = new RtcPeerConnection(Configuration(HostA, ice));
        Answerer = new RtcPeerConnection(Configuration(HostB, ice));
        Answerer.DataChannel += (_, channel) => Volatile.Write(ref _remote, channel);
        Channel = Offerer.CreateDataChannel("bulk");
    }

    public VirtualNetwork Net { get; }

    public VirtualStunServer Stun { get; }

    /// <summary>The TURN server both connections allocate on, when asked for.</summary>
    public VirtualTurnServer? Turn { get; }

    public VirtualRouter RouterA { get; }

    public VirtualRouter RouterB { get; }

    public VirtualHost HostA { get; }

    public VirtualHost HostB { get; }

    public RtcPeerConnection Offerer { get; }

    public RtcPeerConnection Answerer { get; }

    /// <summary>The offerer's channel.</summary>
    public RtcDataChannel Channel { get; }

    /// <summary>The answerer's side of <see cref="Channel"/>, once announced.</summary>
    public RtcDataChannel? RemoteChannel => Volatile.Read(ref _remote);

    /// <summary>Both connected, with the channel open on both sides.</summary>
    public bool Ready =>
        Offerer.ConnectionState == RtcPeerConnectionState.Connected && Answerer.ConnectionState == RtcPeerConnectionState.Connected
        && Channel.ReadyState == RtcDataChannelState.Open && RemoteChannel?.ReadyState == RtcDataChannelState.Open;

    /// <summary>Offer, gather, answer, gather, answer back; then drives until <see cref="Ready"/> (or fails the test).</summary>
    public async Task ConnectAsync()
    {
        var offer = await Offerer.CreateOfferAsync();
        await Offerer.SetLocalDescriptionAsync(offer);
        Assert.That(Drive(() => Offerer.IceGatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(10), letThreadsRun: Turn is not null), Is.True, "the offerer gathers");
        await Answerer.SetRemoteDescriptionAsync(Offerer.LocalDescription!);
        var answer = await Answerer.CreateAnswerAsync();
        await Answerer.SetLocalDescriptionAsync(answer);
        Assert.That(Drive(() => Answerer.IceGatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(10), letThreadsRun: Turn is not null), Is.True, "the answerer gathers");
        await Offerer.SetRemoteDescriptionAsync(Answerer.LocalDescription!);

        var ready = Drive(() => Ready, TimeSpan.FromSeconds(30), letThreadsRun: true);
        Assert.That(ready, Is.True, $"connected with the channel open: offerer {Offerer.ConnectionState} ({Offerer.Error?.Message}), answerer {Answerer.ConnectionState} ({Answerer.Error?.Message}), channel {Channel.ReadyState}, remote {RemoteChannel?.ReadyState}; {Net.Counters}");
    }

    /// <summary>
    /// Steps the virtual clock until <paramref name="done"/> holds (checked after <paramref name="eachStep"/>, before each
    /// step) or <paramref name="limit"/> of virtual time has passed. See the remarks of the class for the threads.
    /// </summary>
    /// <param name="done">What to wait for.</param>
    /// <param name="limit">The most virtual time to spend.</param>
    /// <param name="eachStep">Runs before each check, on this thread (e.g. tops up a sender).</param>
    /// <param name="letThreadsRun">
    /// While connecting or closing: once either side's ICE has a selected pair (with a TURN server: also while either
    /// side gathers, since an allocation completes on the thread pool), a step that finds nothing in flight first waits up to
    /// <see cref="ThreadSlice"/> of real time for a thread of the connection to send something.
    /// </param>
    /// <returns>Whether <paramref name="done"/> held.</returns>
    public bool Drive(Func<bool> done, TimeSpan limit, Action? eachStep = null, bool letThreadsRun = false)
    {
        var end = Net.Now + limit;
        var real = Stopwatch.StartNew();
        while (true)
        {
            eachStep?.Invoke();
            if (done())
            {
                return true;
            }

            if (Net.Now >= end || real.Elapsed > RealTimeLimit)
            {
                return false;
            }

            var allocating = Turn is not null
                && (Offerer.IceGatheringState == IceGatheringState.Gathering || Answerer.IceGatheringState == IceGatheringState.Gathering);
            if (letThreadsRun && Net.InFlight == 0
                && (allocating || Offerer.SelectedCandidatePair is not null || Answerer.SelectedCandidatePair is not null))
            {
                // Nothing to deliver: a thread of the connection may be computing what it sends next.
                var sent = Net.Counters.Sent;
                if (SpinWait.SpinUntil(() => Net.Counters.Sent != sent || Net.InFlight > 0 || done(), ThreadSlice) && done())
                {
                    continue;
                }
            }

            Net.Advance(Step);
        }
    }

    /// <summary>Closes both connections (SCTP SHUTDOWN, close_notify) while driving the clock.</summary>
    public async ValueTask DisposeAsync()
    {
        var closing = Task.WhenAll(Offerer.CloseAsync().AsTask(), Answerer.CloseAsync().AsTask());
        Drive(() => closing.IsCompleted, TimeSpan.FromSeconds(5), letThreadsRun: true);
        await closing.WaitAsync(TimeSpan.FromSeconds(10));
        Stun.Dispose();
        Turn?.Dispose();
        Net.Dispose();
    }

    private RtcConfiguration Configuration(VirtualHost host, Func<IceAgentOptions, IceAgentOptions> ice) => new()
    {
        TimeProvider = Net.TimeProvider,
        Ice = ice(new IceAgentOptions
        {
            SocketFactory = host,
            StunServers = [Stun.EndPoint],
            TurnServers = Turn is null ? [] : [new TurnServer(Turn.EndPoint.Address.ToString(), Turn.EndPoint.Port, TurnTransport.Udp, IceNatPair.TurnUser, IceNatPair.TurnPassword)],
        }),
    };
}
