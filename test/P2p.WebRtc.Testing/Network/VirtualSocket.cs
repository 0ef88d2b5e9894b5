using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// A UDP socket of a <see cref="VirtualHost"/>. Datagrams reach the handler on the network's delivery timer, one at a
/// time; the <see cref="SocketAddress"/> passed to the handler is reused for the next datagram.
/// </summary>
public sealed class VirtualSocket : IDatagramSocket
{
    private readonly SocketAddress _remote = new(AddressFamily.InterNetwork);
    private DatagramSocketReceiveHandler? _handler;
    private bool _disposed;
    private long _received;

    internal VirtualSocket(VirtualHost host, IPEndPoint localEndPoint)
    {
        Host = host;
        LocalEndPoint = localEndPoint;
    }

    /// <summary>The host.</summary>
    public VirtualHost Host { get; }

    /// <inheritdoc/>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Datagrams handed to the handler.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <inheritdoc/>
    public void Start(DatagramSocketReceiveHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (Host.Network.Sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_handler is not null)
            {
                throw new InvalidOperationException("The socket is already started.");
            }

            _handler = handler;
        }
    }

    /// <summary>
    /// Sends a datagram. It never fails locally for an IPv4 destination (false for another family); its fate on the way
    /// (loss, NATs, cuts) is decided now and shows in <see cref="VirtualNetwork.Counters"/>.
    /// </summary>
    /// <param name="datagram">The bytes.</param>
    /// <param name="remote">The destination.</param>
    /// <returns>Whether the datagram was accepted.</returns>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public bool Send(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (remote.Family != AddressFamily.InterNetwork || remote.Size < 8)
        {
            return false;
        }

        var b = remote.Buffer.Span;
        var destination = new IPEndPoint(new IPAddress(b.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(b[2..]));
        return Send(datagram, destination);
    }

    /// <summary>Sends a datagram (see <see cref="Send(ReadOnlySpan{byte}, SocketAddress)"/>).</summary>
    /// <param name="datagram">The bytes.</param>
    /// <param name="remote">The destination.</param>
    /// <returns>Whether the datagram was accepted.</returns>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public bool Send(ReadOnlySpan<byte> datagram, IPEndPoint remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        if (remote.AddressFamily != AddressFamily.InterNetwork || datagram.Length > 65507)
        {
            return false;
        }

        Host.Network.Send(this, datagram, remote);
        return true;
    }

    /// <summary>Closes the socket: datagrams arriving afterwards are dropped (<see cref="DatagramDropReason.NoSocket"/>).</summary>
    public void Dispose()
    {
        lock (Host.Network.Sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _handler = null;
            Host.Remove(this);
        }

        Host.Network.WaitForDelivery();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Host.Name} {LocalEndPoint}";

    /// <summary>On the delivery timer, outside the network's lock: hands one datagram to the handler.</summary>
    internal bool Deliver(byte[] data, IPEndPoint source)
    {
        DatagramSocketReceiveHandler? handler;
        lock (Host.Network.Sync)
        {
            handler = _disposed ? null : _handler;
        }

        if (handler is null)
        {
            return false;
        }

        var b = _remote.Buffer.Span;
        BinaryPrimitives.WriteUInt16BigEndian(b[2..], (ushort)source.Port);
        source.Address.TryWriteBytes(b.Slice(4, 4), out _);
        Interlocked.Increment(ref _received);
        handler(data, _remote);
        return true;
    }
}
