using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Net;

namespace P2p.Benchmarks.Dtls;

/// <summary>
/// A minimal connected-UDP <see cref="IDatagramTransport"/> on 127.0.0.1 for benchmarks: one
/// socket with 4 MiB buffers and one blocking receive thread that hands each datagram to the
/// handler without copying or allocating (a stand-in until the real UDP transport exists).
/// </summary>
internal sealed class UdpBenchTransport : IDatagramTransport, IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private volatile DatagramReceivedHandler? _handler;
    private int _closed;

    private UdpBenchTransport(Socket socket, int maxDatagramSize)
    {
        _socket = socket;
        MaxDatagramSize = maxDatagramSize;
        _thread = new Thread(ReceiveLoop) { IsBackground = true, Name = "bench UDP receive" };
        _thread.Start();
    }

    public int MaxDatagramSize { get; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public event EventHandler<DatagramTransportClosedEventArgs>? Closed;

    public static (UdpBenchTransport A, UdpBenchTransport B) CreatePair(int maxDatagramSize)
    {
        var (a, b) = CreateSocketPair();
        return (new UdpBenchTransport(a, maxDatagramSize), new UdpBenchTransport(b, maxDatagramSize));
    }

    /// <summary>Two UDP sockets on 127.0.0.1 connected to each other, with 4 MiB buffers.</summary>
    public static (Socket A, Socket B) CreateSocketPair()
    {
        var a = NewSocket();
        var b = NewSocket();
        a.Connect(b.LocalEndPoint!);
        b.Connect(a.LocalEndPoint!);
        return (a, b);
    }

    public void Send(ReadOnlySpan<byte> datagram)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        try
        {
            _socket.Send(datagram);
        }
        catch (SocketException)
        {
            // lost, as UDP may lose it
        }
    }

    public void SetReceiveHandler(DatagramReceivedHandler? handler) => _handler = handler;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _socket.Dispose();
            _thread.Join();
            Closed?.Invoke(this, new DatagramTransportClosedEventArgs(null));
        }
    }

    private static Socket NewSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 4 << 20,
            SendBufferSize = 4 << 20,
        };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[65536];
        while (!IsClosed)
        {
            int length;
            try
            {
                length = _socket.Receive(buffer);
            }
            catch (SocketException) when (!IsClosed)
            {
                continue;
            }
            catch (Exception) when (IsClosed)
            {
                return;
            }

            _handler?.Invoke(buffer.AsSpan(0, length));
        }
    }
}
