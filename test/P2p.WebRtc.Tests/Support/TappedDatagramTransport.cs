using System.Collections.Concurrent;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Tests.Support;

/// <summary>
/// Wraps an <see cref="IDatagramTransport"/>: records every datagram sent through it and lets a
/// test drop chosen outgoing datagrams (deterministic loss of specific handshake flights).
/// </summary>
public sealed class TappedDatagramTransport(IDatagramTransport inner) : IDatagramTransport
{
    private readonly ConcurrentQueue<byte[]> _sent = new();

    /// <summary>Returns true for an outgoing datagram that must be dropped.</summary>
    public Func<byte[], bool>? DropOutgoing { get; set; }

    /// <summary>Every datagram sent (including dropped ones), in order.</summary>
    public IReadOnlyList<byte[]> Sent => _sent.ToArray();

    public int MaxDatagramSize => inner.MaxDatagramSize;

    public bool IsClosed => inner.IsClosed;

    public event EventHandler<DatagramTransportClosedEventArgs>? Closed
    {
        add => inner.Closed += value;
        remove => inner.Closed -= value;
    }

    public void Send(ReadOnlySpan<byte> datagram)
    {
        var copy = datagram.ToArray();
        _sent.Enqueue(copy);
        if (DropOutgoing?.Invoke(copy) == true)
        {
            return;
        }

        inner.Send(datagram);
    }

    public void SetReceiveHandler(DatagramReceivedHandler? handler) => inner.SetReceiveHandler(handler);
}
