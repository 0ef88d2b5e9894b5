using System.Net;

namespace P2p.WebRtc.Net;

/// <summary>
/// One unconnected datagram socket bound to one local address: what an ICE host candidate is based on
/// (RFC 8445 §5.1.1.1). The real one is a UDP socket; tests use sockets of a virtual network.
/// </summary>
/// <remarks>
/// Threading: <see cref="Send"/> may be called from any thread, and may be called from inside the receive
/// handler. The handler is invoked one datagram at a time, in arrival order, never from inside
/// <see cref="Send"/>; it must not block for long. After <see cref="IDisposable.Dispose"/> returns, the handler
/// is not invoked again (unless Dispose was called from inside it).
/// </remarks>
public interface IDatagramSocket : IDisposable
{
    /// <summary>The bound address and port.</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Starts delivering incoming datagrams to <paramref name="handler"/>. Called once.</summary>
    /// <param name="handler">Where datagrams go.</param>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    void Start(DatagramSocketReceiveHandler handler);

    /// <summary>
    /// Sends one datagram to <paramref name="remote"/> without waiting for the network. Returns false when it
    /// was refused locally (a full buffer, an unreachable network); a datagram may also be lost silently.
    /// </summary>
    /// <param name="datagram">The bytes.</param>
    /// <param name="remote">The destination, in the socket's address family.</param>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    bool Send(ReadOnlySpan<byte> datagram, SocketAddress remote);
}
