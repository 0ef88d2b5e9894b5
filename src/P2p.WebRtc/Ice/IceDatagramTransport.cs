using System.Net;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Ice;

/// <summary>
/// The agent's <see cref="IDatagramTransport"/>: sends on the selected pair (from its local socket to the
/// cached remote <see cref="SocketAddress"/>), delivers non-STUN datagrams from the remote addresses
/// the socket accepts (<see cref="HostSocket.ValidRemotes"/>), on the socket's receive thread. No
/// allocation per datagram.
/// </summary>
internal sealed class IceDatagramTransport(IceAgent agent, int maxDatagramSize) : IDatagramTransport
{
    private readonly Lock _deliverLock = new();
    private volatile DatagramReceivedHandler? _handler;
    private int _closed;
    private long _sent;
    private long _received;
    private long _dropped;

    public int MaxDatagramSize { get; } = maxDatagramSize;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public long Sent => Interlocked.Read(ref _sent);

    public long Received => Interlocked.Read(ref _received);

    public long Dropped => Interlocked.Read(ref _dropped);

    public event EventHandler<DatagramTransportClosedEventArgs>? Closed;

    public void Send(ReadOnlySpan<byte> datagram)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        if (datagram.Length > MaxDatagramSize)
        {
            throw new ArgumentException($"Datagram of {datagram.Length} bytes exceeds {MaxDatagramSize}.", nameof(datagram));
        }

        var path = agent.CurrentPath ?? throw (IsClosed
            ? new ObjectDisposedException(nameof(IceDatagramTransport))
            : new InvalidOperationException("ICE has not selected a candidate pair yet."));
        try
        {
            path.Socket.Socket.Send(datagram, path.Remote.SocketAddress);
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(nameof(IceDatagramTransport));
        }

        Interlocked.Increment(ref _sent);
    }

    public void SetReceiveHandler(DatagramReceivedHandler? handler) => _handler = handler;

    /// <summary>On a receive thread: deliver if this socket accepts data from the sender.</summary>
    internal void Deliver(HostSocket socket, ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        var handler = _handler;
        if (handler is null || IsClosed)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        var key = EndpointKey.From(remote);
        var valid = socket.ValidRemotes;
        for (var i = 0; i < valid.Length; i++)
        {
            if (valid[i] == key)
            {
                Interlocked.Increment(ref _received);

                // One datagram at a time even when several sockets (receive threads) deliver (IDatagramTransport contract).
                lock (_deliverLock)
                {
                    handler(datagram);
                }

                return;
            }
        }

        Interlocked.Increment(ref _dropped);
    }

    internal void CountDropped() => Interlocked.Increment(ref _dropped);

    /// <summary>Closes once; raises <see cref="Closed"/> through the agent's event queue.</summary>
    internal void Close(Exception? error)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        agent.PostEvent(() => Closed?.Invoke(this, new DatagramTransportClosedEventArgs(error)));
    }
}
