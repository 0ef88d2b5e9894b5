using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// A STUN server (RFC 8489) on a <see cref="VirtualHost"/>: it answers each Binding request with a success response
/// carrying XOR-MAPPED-ADDRESS, the source it saw (after every NAT on the way), and FINGERPRINT. Give its
/// <see cref="EndPoint"/> to the ICE agents (<c>IceAgentOptions.StunServers</c>) for server-reflexive candidates.
/// </summary>
public sealed class VirtualStunServer : IDisposable
{
    /// <summary>The default STUN port (RFC 8489 §18.6): 3478.</summary>
    public const int DefaultPort = 3478;

    private readonly VirtualSocket _socket;
    private long _answered;
    private long _ignored;

    /// <summary>Starts a server on <paramref name="host"/>.</summary>
    /// <param name="host">The host (normally on the Internet).</param>
    /// <param name="port">The port: 3478 by default.</param>
    /// <param name="address">Which of the host's addresses; its first when <see langword="null"/>.</param>
    /// <exception cref="SocketException">The address or port cannot be bound.</exception>
    public VirtualStunServer(VirtualHost host, int port = DefaultPort, IPAddress? address = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        _socket = host.BindSocket(address ?? host.Address, port);
        _socket.Start(OnDatagram);
    }

    /// <summary>The server's transport address.</summary>
    public IPEndPoint EndPoint => _socket.LocalEndPoint;

    /// <summary>Binding requests answered.</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Datagrams ignored (not a STUN Binding request).</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Stops the server.</summary>
    public void Dispose() => _socket.Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"STUN server {EndPoint}";

    private void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        if (StunMessage.TryParse(datagram, out var request) != StunParseResult.Success
            || request.Class != StunMessageClass.Request || request.Method != StunMethod.Binding)
        {
            Interlocked.Increment(ref _ignored);
            return;
        }

        var source = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(remote);
        Span<byte> buffer = stackalloc byte[64];
        var response = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.SuccessResponse, request.TransactionId);
        response.AddXorAddress(source);
        response.AddFingerprint();
        Interlocked.Increment(ref _answered);
        _socket.Send(response.Written, source);
    }
}
