using System.Net;

namespace P2p.WebRtc.Net;

/// <summary>
/// Where a TURN client gets its TCP connection to a server (TURN over TCP or TLS, RFC 8656 §3.1). The default
/// connects a socket of this host; a test puts the connection in another network namespace or a simulated network.
/// </summary>
public interface ITcpConnector
{
    /// <summary>Connects to <paramref name="remote"/>.</summary>
    /// <param name="remote">The server.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The connected stream; the caller disposes it.</returns>
    /// <exception cref="System.Net.Sockets.SocketException">The connection was refused or failed.</exception>
    ValueTask<Stream> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken);
}
