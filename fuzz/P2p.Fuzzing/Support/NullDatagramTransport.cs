using P2p.WebRtc.Net;

namespace P2p.Fuzzing.Support;

/// <summary>A lower transport that accepts and discards what is sent.</summary>
internal sealed class NullDatagramTransport : IDatagramTransport
{
    public int MaxDatagramSize => 1200;

    public bool IsClosed => false;

    public long Sent { get; private set; }

    public event EventHandler<DatagramTransportClosedEventArgs>? Closed
    {
        add { }
        remove { }
    }

    public void Send(ReadOnlySpan<byte> datagram) => Sent++;

    public void SetReceiveHandler(DatagramReceivedHandler? handler)
    {
    }
}
