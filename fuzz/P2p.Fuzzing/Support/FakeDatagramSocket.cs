using System.Net;
using P2p.WebRtc.Net;

namespace P2p.Fuzzing.Support;

/// <summary>
/// A datagram socket without a network: it keeps the receive handler the ICE agent gives to <see cref="Start"/> (the
/// target calls it through <see cref="Receive"/>) and tells its factory about every STUN request the agent sends.
/// </summary>
internal sealed class FakeDatagramSocket(IPEndPoint localEndPoint, FakeDatagramSocketFactory factory) : IDatagramSocket
{
    private DatagramSocketReceiveHandler? _handler;
    private bool _disposed;

    public IPEndPoint LocalEndPoint { get; } = localEndPoint;

    /// <summary>Datagrams the agent sent through this socket.</summary>
    public int SentCount { get; private set; }

    public void Start(DatagramSocketReceiveHandler handler)
    {
        if (_handler is not null)
        {
            throw new InvalidOperationException("The socket was already started.");
        }

        _handler = handler;
    }

    public bool Send(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SentCount++;
        factory.OnSent(this, datagram, remote);
        return true;
    }

    /// <summary>Hands one datagram from <paramref name="remote"/> to the agent (nothing once disposed or before it started).</summary>
    public void Receive(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        if (!_disposed)
        {
            _handler?.Invoke(datagram, remote);
        }
    }

    public void Dispose() => _disposed = true;
}
