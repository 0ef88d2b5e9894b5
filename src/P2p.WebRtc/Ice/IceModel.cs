using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Net;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Ice;

/// <summary>A host socket: one UDP socket per local address, the base of its host (and reflexive) candidates.</summary>
internal sealed class HostSocket(IDatagramSocket socket, int localPreference)
{
    public IDatagramSocket Socket { get; } = socket;

    public IPEndPoint EndPoint => Socket.LocalEndPoint;

    public AddressFamily Family => Socket.LocalEndPoint.AddressFamily;

    public int LocalPreference { get; } = localPreference;

    public LocalCandidate Host { get; set; } = null!;

    /// <summary>Belongs to a previous ICE generation (RFC 8445 §9): kept only while the data path may still use it.</summary>
    public bool Retired { get; set; }

    /// <summary>
    /// Remote addresses the data path accepts datagrams from on this socket (copy-on-write): those of
    /// valid pairs, and those that sent an authenticated check (the peer may start DTLS as soon as our
    /// response reaches it, before our own check on that pair has succeeded).
    /// </summary>
    public volatile EndpointKey[] ValidRemotes = [];

    /// <summary>Adds <paramref name="remote"/> to <see cref="ValidRemotes"/> (under the agent's lock).</summary>
    public void Accept(EndpointKey remote)
    {
        if (Array.IndexOf(ValidRemotes, remote) < 0)
        {
            ValidRemotes = [.. ValidRemotes, remote];
        }
    }
}

/// <summary>A local candidate (RFC 8445 §5.1.1) and the socket that is its base.</summary>
internal sealed class LocalCandidate(IceCandidate candidate, HostSocket baseSocket, IPEndPoint endPoint)
{
    public IceCandidate Candidate { get; } = candidate;

    public HostSocket Base { get; } = baseSocket;

    public IPEndPoint EndPoint { get; } = endPoint;

    public uint Priority => Candidate.Priority;
}

/// <summary>A remote candidate, signalled or peer-reflexive (RFC 8445 §7.3.1.3).</summary>
internal sealed class RemoteCandidate(IceCandidate candidate, IPEndPoint endPoint)
{
    public IceCandidate Candidate { get; set; } = candidate;

    public IPEndPoint EndPoint { get; } = endPoint;

    public EndpointKey Key { get; } = EndpointKey.From(endPoint);

    public SocketAddress SocketAddress { get; } = endPoint.Serialize();

    public uint Priority => Candidate.Priority;
}

/// <summary>A candidate pair in the check list (RFC 8445 §6.1.2).</summary>
internal sealed class CandidatePair(LocalCandidate local, RemoteCandidate remote)
{
    public LocalCandidate Local { get; } = local;

    public RemoteCandidate Remote { get; } = remote;

    public ulong Priority { get; set; }

    public string Foundation => Local.Candidate.Foundation + ":" + Remote.Candidate.Foundation;

    public IceCandidatePairState State { get; set; } = IceCandidatePairState.Frozen;

    /// <summary>The local candidate the response's XOR-MAPPED-ADDRESS designates (a peer-reflexive one, RFC 8445 §7.2.5.3.1).</summary>
    public LocalCandidate? MappedLocal { get; set; }

    public bool Valid { get; set; }

    public bool Nominated { get; set; }

    /// <summary>Controlled agent: USE-CANDIDATE arrived before this pair's own check succeeded (RFC 8445 §7.3.1.5).</summary>
    public bool NominateOnSuccess { get; set; }

    /// <summary>Controlling agent: the next check on this pair carries USE-CANDIDATE.</summary>
    public bool SendUseCandidate { get; set; }

    public bool InTriggeredQueue { get; set; }

    public StunTransaction? Current { get; set; }

    public IceCandidatePairInfo ToInfo() =>
        new((MappedLocal ?? Local).Candidate, Remote.Candidate, State, Priority, Nominated) { RemoteEndPoint = Remote.EndPoint };

    public override string ToString() => $"{Local.EndPoint} <-> {Remote.EndPoint}";
}

/// <summary>What a STUN transaction is for.</summary>
internal enum StunTransactionKind
{
    Check,
    Consent,
    ServerBinding,
}

/// <summary>An outstanding STUN request with its retransmission state (RFC 8489 §6.2.1).</summary>
internal sealed class StunTransaction(StunTransactionId id, StunTransactionKind kind, HostSocket socket, IPEndPoint destination, byte[] request)
{
    public StunTransactionId Id { get; } = id;

    public StunTransactionKind Kind { get; } = kind;

    public HostSocket Socket { get; } = socket;

    public IPEndPoint Destination { get; } = destination;

    public SocketAddress DestinationAddress { get; } = destination.Serialize();

    public byte[] Request { get; } = request;

    public CandidatePair? Pair { get; init; }

    public bool UseCandidate { get; init; }

    public bool SentControlling { get; init; }

    public uint Priority { get; init; }

    public int Transmissions { get; set; }

    public TimeSpan Rto { get; set; }

    public TimeSpan NextTransmission { get; set; }

    /// <summary>For server bindings: when to give up.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.MaxValue;

    /// <summary>Cancelled (RFC 8445 §7.3.1.4): no more retransmissions, a late response is still accepted.</summary>
    public bool Cancelled { get; set; }
}
