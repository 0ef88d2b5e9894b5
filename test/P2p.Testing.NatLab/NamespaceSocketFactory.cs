using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Net;

namespace P2p.Testing.NatLab;

/// <summary>
/// The product's own sockets, created inside a lab namespace: UDP sockets from <see cref="UdpDatagramSocketFactory"/>
/// and TCP connections (TURN over TCP/TLS) whose socket is made on the namespace's thread. Give it to ICE as
/// <see cref="P2p.WebRtc.Ice.IceAgentOptions.SocketFactory"/> and <see cref="P2p.WebRtc.Ice.IceAgentOptions.TcpConnector"/>
/// and the agent sees the namespace's interfaces and sends through its routes and NAT, while everything else (the
/// peer connection, signaling, the test) stays in this process and its own namespace.
/// </summary>
public sealed class NamespaceSocketFactory : IDatagramSocketFactory, ITcpConnector
{
    private readonly NetworkNamespace _namespace;
    private readonly UdpDatagramSocketFactory _udp;

    /// <summary>Creates sockets inside <paramref name="networkNamespace"/>.</summary>
    /// <param name="networkNamespace">The namespace.</param>
    /// <param name="logger">Where the sockets log.</param>
    public NamespaceSocketFactory(NetworkNamespace networkNamespace, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(networkNamespace);
        _namespace = networkNamespace;
        _udp = new UdpDatagramSocketFactory(UdpDatagramSocketFactory.DefaultBufferSize, logger);
    }

    /// <summary>The namespace the sockets live in.</summary>
    public NetworkNamespace Namespace => _namespace;

    /// <inheritdoc/>
    public IReadOnlyList<IPAddress> GetLocalAddresses() => _namespace.Run(_udp.GetLocalAddresses);

    /// <inheritdoc/>
    public IDatagramSocket Bind(IPAddress localAddress) => _namespace.Run(() => _udp.Bind(localAddress));

    /// <inheritdoc/>
    public async ValueTask<Stream> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var socket = await _namespace.RunAsync(() => new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true })
            .ConfigureAwait(false);
        try
        {
            await socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"sockets in {_namespace.Name}";
}
