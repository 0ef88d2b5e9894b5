using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Tests.Support;

/// <summary>
/// An <see cref="IDatagramTransport"/> over a real UDP socket on 127.0.0.1, connected to one peer,
/// with a dedicated blocking receive thread and 4 MiB socket buffers (default buffers lose
/// datagrams at loopback rates).
/// </summary>
public sealed class LoopbackUdpTransport : IDatagramTransport, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private volatile DatagramReceivedHandler? _handler;
    private int _closed;

    private LoopbackUdpTransport(int maxDatagramSize)
    {
        MaxDatagramSize = maxDatagramSize;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            SendBufferSize = 4 * 1024 * 1024,
            ReceiveBufferSize = 4 * 1024 * 1024,
        };
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _thread = new Thread(ReceiveLoop) { IsBackground = true, Name = "udp-receive" };
    }

    public event EventHandler<DatagramTransportClosedEventArgs>? Closed;

    public int MaxDatagramSize { get; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Two transports connected to each other over 127.0.0.1.</summary>
    public static (LoopbackUdpTransport A, LoopbackUdpTransport B) CreatePair(int maxDatagramSize = 1200)
    {
        var a = new LoopbackUdpTransport(maxDatagramSize);
        var b = new LoopbackUdpTransport(maxDatagramSize);
        a._socket.Connect(b.LocalEndPoint);
        b._socket.Connect(a.LocalEndPoint);
        a._thread.Start();
        b._thread.Start();
        return (a, b);
    }

    public void Send(ReadOnlySpan<byte> datagram)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        if (datagram.Length > MaxDatagramSize)
        {
            throw new ArgumentException($"Datagram of {datagram.Length} bytes exceeds {MaxDatagramSize}.", nameof(datagram));
        }

        try
        {
            _socket.Send(datagram);
        }
        catch (SocketException)
        {
            // Like UDP itself: a failed send is a lost datagram.
        }
    }

    public void SetReceiveHandler(DatagramReceivedHandler? handler) => _handler = handler;

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _socket.Close();
            _thread.Join();
            Closed?.Invoke(this, new DatagramTransportClosedEventArgs(null));
        }

        return ValueTask.CompletedTask;
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[65536];
        while (!IsClosed)
        {
            int n;
            try
            {
                n = _socket.Receive(buffer);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused || ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                continue; // ICMP port unreachable from an earlier send: ignore, as UDP does.
            }
            catch (Exception) when (IsClosed)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            _handler?.Invoke(buffer.AsSpan(0, n));
        }
    }
}
