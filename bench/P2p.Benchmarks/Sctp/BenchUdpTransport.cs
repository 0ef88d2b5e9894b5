using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Net;

namespace P2p.Benchmarks.Sctp;

/// <summary>A connected UDP socket on 127.0.0.1 with a blocking receive thread and 4 MiB buffers.</summary>
internal sealed class BenchUdpTransport : IDatagramTransport, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private volatile DatagramReceivedHandler? _handler;
    private volatile bool _closed;

    private BenchUdpTransport(int maxDatagramSize)
    {
        MaxDatagramSize = maxDatagramSize;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            SendBufferSize = 4 * 1024 * 1024,
            ReceiveBufferSize = 4 * 1024 * 1024,
        };
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _thread = new Thread(Loop) { IsBackground = true, Name = "udp-receive" };
    }

    public event EventHandler<DatagramTransportClosedEventArgs>? Closed;

    public int MaxDatagramSize { get; }

    public bool IsClosed => _closed;

    public static (BenchUdpTransport A, BenchUdpTransport B) CreatePair(int maxDatagramSize = 1200)
    {
        var a = new BenchUdpTransport(maxDatagramSize);
        var b = new BenchUdpTransport(maxDatagramSize);
        a._socket.Connect(b._socket.LocalEndPoint!);
        b._socket.Connect(a._socket.LocalEndPoint!);
        a._thread.Start();
        b._thread.Start();
        return (a, b);
    }

    public void Send(ReadOnlySpan<byte> datagram)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        try
        {
            _socket.Send(datagram);
        }
        catch (SocketException)
        {
        }
    }

    public void SetReceiveHandler(DatagramReceivedHandler? handler) => _handler = handler;

    public ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            _closed = true;
            _socket.Close();
            _thread.Join();
            Closed?.Invoke(this, new DatagramTransportClosedEventArgs(null));
        }

        return ValueTask.CompletedTask;
    }

    private void Loop()
    {
        var buffer = new byte[65536];
        while (!_closed)
        {
            int n;
            try
            {
                n = _socket.Receive(buffer);
            }
            catch (SocketException) when (!_closed)
            {
                continue;
            }
            catch (Exception)
            {
                return;
            }

            _handler?.Invoke(buffer.AsSpan(0, n));
        }
    }
}
