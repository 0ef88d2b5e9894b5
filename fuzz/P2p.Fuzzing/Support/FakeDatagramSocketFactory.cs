using System.Net;
using P2p.WebRtc.Net;

namespace P2p.Fuzzing.Support;

/// <summary>
/// The local network of an ICE agent under fuzzing: one address (198.51.100.1, a documentation range), sockets that
/// are <see cref="FakeDatagramSocket"/>s on ports 40000, 40001, … and a log of the STUN requests the agent sent
/// (checks, consent checks, server bindings), so fuzzed answers can carry a transaction id the agent waits for.
/// </summary>
internal sealed class FakeDatagramSocketFactory : IDatagramSocketFactory
{
    /// <summary>The one local address.</summary>
    public static readonly IPAddress LocalAddress = IPAddress.Parse("198.51.100.1");

    /// <summary>The first bound port.</summary>
    public const int FirstPort = 40000;

    private const int MaxRequests = 64;
    private readonly List<FakeDatagramSocket> _sockets = [];
    private readonly List<SentStunRequest> _requests = [];

    /// <summary>The sockets bound so far, oldest first (a restart binds new ones).</summary>
    public IReadOnlyList<FakeDatagramSocket> Sockets => _sockets;

    /// <summary>The distinct STUN requests sent, oldest first (the latest <c>MaxRequests</c>).</summary>
    public IReadOnlyList<SentStunRequest> Requests => _requests;

    public IReadOnlyList<IPAddress> GetLocalAddresses() => [LocalAddress];

    public IDatagramSocket Bind(IPAddress localAddress)
    {
        var socket = new FakeDatagramSocket(new IPEndPoint(localAddress, FirstPort + _sockets.Count), this);
        _sockets.Add(socket);
        return socket;
    }

    /// <summary>Called by a socket for every datagram the agent sends; STUN requests are remembered (once per transaction).</summary>
    internal void OnSent(FakeDatagramSocket socket, ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        if (datagram.Length < 20 || datagram[0] >> 6 != 0 || (datagram[0] & 0x01) != 0 || (datagram[1] & 0x10) != 0)
        {
            return; // not a STUN request (RFC 8489 §5: class bits C1 and C0 both zero)
        }

        var id = datagram.Slice(8, 12);
        foreach (var r in _requests)
        {
            if (id.SequenceEqual(r.TransactionId))
            {
                return; // a retransmission
            }
        }

        if (_requests.Count == MaxRequests)
        {
            _requests.RemoveAt(0);
        }

        var destination = new SocketAddress(remote.Family, remote.Size);
        remote.Buffer.Span.CopyTo(destination.Buffer.Span);
        _requests.Add(new SentStunRequest(id.ToArray(), destination, socket));
    }
}
