using P2p.WebRtc.Net;

namespace P2p.Benchmarks.Dtls;

/// <summary>
/// Two in-process <see cref="IDatagramTransport"/> ends where <see cref="Send"/> calls the peer's
/// receive handler inline: measures the DTLS layer alone (protect + unprotect on one thread, no
/// sockets, no copies).
/// </summary>
internal sealed class DirectPipeTransport(int maxDatagramSize) : IDatagramTransport
{
    private volatile DatagramReceivedHandler? _handler;

    public DirectPipeTransport Peer { get; private set; } = null!;

    public int MaxDatagramSize => maxDatagramSize;

    public bool IsClosed => false;

    public event EventHandler<DatagramTransportClosedEventArgs>? Closed
    {
        add { }
        remove { }
    }

    public static (DirectPipeTransport A, DirectPipeTransport B) CreatePair(int maxDatagramSize)
    {
        var a = new DirectPipeTransport(maxDatagramSize);
        var b = new DirectPipeTransport(maxDatagramSize);
        a.Peer = b;
        b.Peer = a;
        return (a, b);
    }

    public void Send(ReadOnlySpan<byte> datagram) => Peer._handler?.Invoke(datagram);

    public void SetReceiveHandler(DatagramReceivedHandler? handler) => _handler = handler;
}
