using System.Net;
using Microsoft.Extensions.Time.Testing;
using P2p.Fuzzing.Support;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Mdns;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Stun;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// The ICE agent's handling of incoming STUN (RFC 8445 §7.2.5, §7.3, RFC 7675): an <see cref="IceAgent"/> on a fake
/// network (<see cref="FakeDatagramSocketFactory"/>) and a virtual clock, its remote credentials and host candidates
/// set, receives the input's datagrams on its socket — checks and their answers, keepalives, DTLS-looking data —
/// while its checks, retransmissions, nomination and consent run.
/// </summary>
/// <remarks>
/// <para>The input's first byte is the set-up: bit 0 — the agent is controlled (else controlling); 1 — a second
/// remote host candidate is signalled; 2 — the peer signalled end-of-candidates; 3 — a STUN server is configured
/// (server bindings wait for answers); 4 — the remote side is set before gathering starts (else after).</para>
/// <para>The rest is messages (<see cref="FuzzInput"/> framing), each a control byte and a datagram. Control bits
/// 0–2 pick the sender: 0 and 1 the signalled candidates (<see cref="RemoteHost1"/>, <see cref="RemoteHost2"/>),
/// 2 and 3 unsignalled addresses (peer-reflexive), 4 the STUN server, 5–7 where the chosen request went (and its
/// socket). Bit 3 — fix up: a request gets MESSAGE-INTEGRITY with our local key (bit 4: the previous generation's
/// after a restart), an answer the chosen request's transaction id and the remote key, both a FINGERPRINT (without
/// bit 3 the bytes go as they are); with an empty datagram, bit 3 restarts ICE instead. Bits 4–5 choose the request
/// (the latest, the one before, …). Bits 6–7 how far the clock moves afterwards (2 ms, 50 ms, 600 ms, 9 s).</para>
/// <para>The agent throws nothing on its receive path; any exception is a bug.</para>
/// </remarks>
internal static class IceChecksTarget
{
    internal const string LocalUfrag = "fzLo";
    internal const string LocalPassword = "fuzzLocalPassword0123456789";
    internal const string RemoteUfrag = "fzRe";
    internal const string RemotePassword = "fuzzRemotePassword0123456789";
    internal const string RestartUfrag = "fzL2";
    internal const string RestartPassword = "fuzzLocalPasswordAfterRestart";
    internal const string RestartRemoteUfrag = "fzR2";
    internal const string RestartRemotePassword = "fuzzRemotePasswordAfterRestart";

    /// <summary>The agent's tie-breaker: in the middle, so a peer's can be larger or smaller.</summary>
    internal const ulong TieBreaker = 0x8000_0000_0000_0000;

    /// <summary>The most datagrams one input delivers (keeps an input's virtual time, and so its run time, bounded).</summary>
    private const int MaxDatagrams = 200;

    internal const byte SetupControlled = 1;
    internal const byte SetupSecondCandidate = 2;
    internal const byte SetupEndOfCandidates = 4;
    internal const byte SetupStunServer = 8;
    internal const byte SetupRemoteFirst = 16;

    internal const byte FromRemoteHost1 = 0;
    internal const byte FromRemoteHost2 = 1;
    internal const byte FromUnsignalled1 = 2;
    internal const byte FromUnsignalled2 = 3;
    internal const byte FromStunServer = 4;
    internal const byte FromRequestDestination = 5;
    internal const byte FixUp = 8;
    internal const byte PreviousGeneration = 16;
    internal const byte Step2Ms = 0;
    internal const byte Step50Ms = 64;
    internal const byte Step600Ms = 128;
    internal const byte Step9S = 192;

    internal static readonly IPEndPoint RemoteHost1 = new(IPAddress.Parse("198.51.100.10"), 50000);
    internal static readonly IPEndPoint RemoteHost2 = new(IPAddress.Parse("198.51.100.11"), 50001);
    internal static readonly IPEndPoint StunServer = new(IPAddress.Parse("198.18.0.1"), 3478);

    private static readonly IPEndPoint[] Senders =
    [
        RemoteHost1,
        RemoteHost2,
        new(IPAddress.Parse("203.0.113.5"), 60000),
        new(IPAddress.Parse("198.18.0.9"), 61000),
        StunServer,
    ];

    private static readonly TimeSpan[] Steps = [TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(600), TimeSpan.FromSeconds(9)];

    internal static readonly byte[] LocalKey = StunCredentials.ShortTermKey(LocalPassword);
    internal static readonly byte[] RemoteKey = StunCredentials.ShortTermKey(RemotePassword);
    internal static readonly byte[] RestartLocalKey = StunCredentials.ShortTermKey(RestartPassword);
    internal static readonly byte[] RestartRemoteKey = StunCredentials.ShortTermKey(RestartRemotePassword);

    public static void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var setup = data[0];
        var time = new FakeTimeProvider();
        var network = new FakeDatagramSocketFactory();
        var agent = new IceAgent(new IceAgentOptions
        {
            LocalUfrag = LocalUfrag,
            LocalPassword = LocalPassword,
            Role = (setup & SetupControlled) != 0 ? IceRole.Controlled : IceRole.Controlling,
            TieBreaker = TieBreaker,
            SocketFactory = network,
            StunServers = (setup & SetupStunServer) != 0 ? [StunServer] : [],
            Mdns = new MdnsOptions { Mode = MdnsMode.Disabled },
            TimeProvider = time,
            Random = new Random(1),
        });
        try
        {
            agent.Transport.SetReceiveHandler(static _ => { });
            if ((setup & SetupRemoteFirst) != 0)
            {
                SignalRemote(agent, setup, RemoteUfrag, RemotePassword);
                agent.StartGathering();
            }
            else
            {
                agent.StartGathering();
                SignalRemote(agent, setup, RemoteUfrag, RemotePassword);
            }

            Deliver(agent, network, time, setup, data[1..]);
            _ = agent.GetCandidatePairs();
            _ = agent.GetStatistics();
        }
        finally
        {
            agent.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void Deliver(IceAgent agent, FakeDatagramSocketFactory network, FakeTimeProvider time, byte setup, ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        var buffer = new byte[65536];
        var restarted = false;
        for (var count = 0; count < MaxDatagrams && input.TryNext(out var message); count++)
        {
            if (message.IsEmpty)
            {
                continue;
            }

            var control = message[0];
            var datagram = buffer.AsSpan(0, message.Length - 1);
            message[1..].CopyTo(datagram);
            var requests = network.Requests;
            var request = requests.Count == 0 ? null : requests[Math.Max(0, requests.Count - 1 - ((control >> 4) & 3))];
            var from = control & 7;
            var socket = from >= FromRequestDestination && request is not null ? request.Socket : network.Sockets[^1];
            var remote = from >= FromRequestDestination ? request?.Destination ?? Senders[0].Serialize() : Senders[from].Serialize();
            if (datagram.IsEmpty)
            {
                if ((control & FixUp) != 0 && !restarted && agent.ConnectionState is not (IceConnectionState.Failed or IceConnectionState.Closed))
                {
                    restarted = true;
                    agent.Restart(RestartUfrag, RestartPassword);
                    agent.StartGathering();
                    SignalRemote(agent, setup, RestartRemoteUfrag, RestartRemotePassword);
                }
            }
            else
            {
                if ((control & FixUp) != 0)
                {
                    FixUpStun(datagram, control, request, restarted);
                }

                socket.Receive(datagram, remote);
            }

            if (agent.CurrentPath is not null && !agent.Transport.IsClosed)
            {
                agent.Transport.Send([23, 0xFE, 0xFD, 0, 1]); // data on the selected pair (a DTLS-looking record)
            }

            time.Advance(Steps[control >> 6]);
        }
    }

    /// <summary>Signals the peer's credentials and candidates (the second one and end-of-candidates as the set-up asks).</summary>
    private static void SignalRemote(IceAgent agent, byte setup, string ufrag, string password)
    {
        agent.SetRemoteCredentials(ufrag, password);
        agent.AddRemoteCandidate(Host("1", RemoteHost1, 0x7FFF));
        if ((setup & SetupSecondCandidate) != 0)
        {
            agent.AddRemoteCandidate(Host("2", RemoteHost2, 0x7FFD));
        }

        if ((setup & SetupEndOfCandidates) != 0)
        {
            agent.AddRemoteEndOfCandidates();
        }
    }

    private static IceCandidate Host(string foundation, IPEndPoint endPoint, int localPreference) =>
        new(foundation, 1, "udp", IcePriority.Candidate(IceCandidateType.Host, localPreference), endPoint.Address.ToString(), endPoint.Port, IceCandidateType.Host);

    /// <summary>Makes a STUN datagram pass the agent's checks: answers get a sent request's id and the peer's key, requests ours.</summary>
    private static void FixUpStun(Span<byte> datagram, byte control, SentStunRequest? request, bool restarted)
    {
        if (datagram.Length < StunConstants.HeaderSize || datagram[0] >> 6 != 0)
        {
            return;
        }

        byte[] key;
        if ((datagram[0] & 0x01) != 0) // class bit C1: a success or error response (RFC 8489 §5)
        {
            request?.TransactionId.CopyTo(datagram[8..]);
            key = restarted ? RestartRemoteKey : RemoteKey;
        }
        else
        {
            key = restarted && (control & PreviousGeneration) == 0 ? RestartLocalKey : LocalKey;
        }

        StunFixup.Apply(datagram, key);
    }
}
