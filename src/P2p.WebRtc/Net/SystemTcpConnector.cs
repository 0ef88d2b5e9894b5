using System.Net;
using System.Net.Sockets;

namespace P2p.WebRtc.Net;

/// <summary>The default <see cref="ITcpConnector"/>: a TCP socket of this host, Nagle off.</summary>
public sealed class SystemTcpConnector : ITcpConnector
{
    /// <summary>The one instance.</summary>
    public static SystemTcpConnector Instance { get; } = new();

    /// <inheritdoc/>
    public async ValueTask<Stream> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
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
}
