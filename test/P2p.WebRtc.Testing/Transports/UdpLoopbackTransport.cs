using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Testing.Transports;

/// <summary>
/// A tiny connected-UDP <see cref="IDatagramTransport"/> on 127.0.0.1 for tests and benchmarks: one socket,
/// one blocking receive thread handing each datagram to the handler without copying, 4 MiB socket buffers. <see cref="Listen"/> waits for the first peer
/// datagram and then connects to its sender (for foreign clients such as <c>openssl s_client</c>).
/// </summary>
public sealed class UdpLoopbackTransport : IDatagramTransport, IDisposable
{
    private const int SocketBufferSize = 4 << 20;

    private readonly Socket _socket;
    private readonly Thread _receiveThread;
    private volatile DatagramReceivedHandler? _handler;
    private volatile bool _connected;
    private int _closed;

    private UdpLoopbackTransport(Socket socket, bool connected, int maxDatagramSize)
    {
        _socket = socket;
        _connected = connected;
        MaxDatagramSize = maxDatagramSize;
        _receiveThread = new Thread(ReceiveLoop) { IsBackground = true, Name = "UDP loopback receive" };
        _receiveThread.Start();
    }

    /// <inheritdoc />
    public int MaxDatagramSize { get; }

    /// <inheritdoc />
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>The bound address and port.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>The receive thread (tests check that disposal ends it).</summary>
    public Thread ReceiveThread => _receiveThread;

    /// <inheritdoc />
    public event EventHandler<DatagramTransportClosedEventArgs>? Closed;

    /// <summary>Two transports connected to each other over 127.0.0.1.</summary>
    /// <param name="maxDatagramSize">The largest datagram either sends.</param>
    public static (UdpLoopbackTransport A, UdpLoopbackTransport B) CreatePair(int maxDatagramSize = 1200)
    {
        var (a, b) = CreateSocketPair();
        return (new UdpLoopbackTransport(a, true, maxDatagramSize), new UdpLoopbackTransport(b, true, maxDatagramSize));
    }

    /// <summary>Two UDP sockets on 127.0.0.1 connected to each other, with 4 MiB buffers (for code that wants the sockets themselves).</summary>
    public static (Socket A, Socket B) CreateSocketPair()
    {
        var a = NewSocket();
        var b = NewSocket();
        a.Connect(b.LocalEndPoint!);
        b.Connect(a.LocalEndPoint!);
        return (a, b);
    }

    /// <summary>A transport connected to <paramref name="remote"/> (a loopback address).</summary>
    /// <param name="remote">Where it sends.</param>
    /// <param name="maxDatagramSize">The largest datagram it sends.</param>
    /// <exception cref="ArgumentException"><paramref name="remote"/> is not a loopback address.</exception>
    public static UdpLoopbackTransport Connect(IPEndPoint remote, int maxDatagramSize = 1200)
    {
        if (!IPAddress.IsLoopback(remote.Address))
        {
            throw new ArgumentException("Tests only talk to loopback addresses.", nameof(remote));
        }

        var socket = NewSocket();
        socket.Connect(remote);
        return new UdpLoopbackTransport(socket, true, maxDatagramSize);
    }

    /// <summary>A transport bound to 127.0.0.1 that connects to whoever sends the first datagram.</summary>
    /// <param name="maxDatagramSize">The largest datagram it sends.</param>
    public static UdpLoopbackTransport Listen(int maxDatagramSize = 1200) => new(NewSocket(), false, maxDatagramSize);

    /// <inheritdoc />
    public void Send(ReadOnlySpan<byte> datagram)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        if (datagram.Length > MaxDatagramSize)
        {
            throw new ArgumentException($"Datagram of {datagram.Length} bytes exceeds {MaxDatagramSize}.", nameof(datagram));
        }

        if (!_connected)
        {
            return; // no peer yet: as if lost
        }

        try
        {
            _socket.Send(datagram);
        }
        catch (SocketException)
        {
            // UDP: an ICMP error from an earlier datagram, or a full buffer; the datagram is lost.
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(nameof(UdpLoopbackTransport));
        }
    }

    /// <inheritdoc />
    public void SetReceiveHandler(DatagramReceivedHandler? handler) => _handler = handler;

    /// <summary>Closes the socket, joins the receive thread and raises <see cref="Closed"/> once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _socket.Dispose();
        if (Thread.CurrentThread != _receiveThread)
        {
            _receiveThread.Join(TimeSpan.FromSeconds(5));
        }

        Closed?.Invoke(this, new DatagramTransportClosedEventArgs(null));
    }

    private static Socket NewSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = SocketBufferSize,
            SendBufferSize = SocketBufferSize,
        };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[65536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (!IsClosed)
        {
            int length;
            try
            {
                if (_connected)
                {
                    length = _socket.Receive(buffer);
                }
                else
                {
                    length = _socket.ReceiveFrom(buffer, ref from);
                    _socket.Connect(from);
                    _connected = true;
                }
            }
            catch (SocketException) when (!IsClosed)
            {
                continue; // ECONNREFUSED from a previous send: UDP carries on
            }
            catch (Exception) when (IsClosed)
            {
                return;
            }

            try
            {
                _handler?.Invoke(buffer.AsSpan(0, length));
            }
            catch (Exception)
            {
                // a handler bug must not kill the receive thread
            }
        }
    }
}
