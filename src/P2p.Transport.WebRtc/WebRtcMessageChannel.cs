using System.Threading.Channels;
using P2p.Core.Transport;
using P2p.WebRtc.DataChannels;

namespace P2p.Transport.WebRtc;

/// <summary>The group's message channel over an <see cref="RtcDataChannel"/>.</summary>
internal sealed class WebRtcMessageChannel : IMessageChannel
{
    private readonly RtcDataChannel _channel;
    private readonly Func<long> _remoteMaxMessageSize;
    // The group's receive loop (P2p.Core's LinkMessenger) continues on the thread that delivered the
    // message, which saves a thread-pool hop per message: it only reassembles, checks and hands frames
    // on to queues and tasks of its own, never blocks and never runs application code.
    // Each frame keeps its bytes counted against the SCTP receive window until the loop takes it, so when the
    // application falls behind (the group's receive queue is full and the loop waits) the window closes and the
    // peer stops sending: this queue stays within the receive window instead of growing without bound.
    private readonly FrameQueue _incoming = new();

    private int _closed;

    public WebRtcMessageChannel(RtcDataChannel channel, Func<long> remoteMaxMessageSize)
    {
        _channel = channel;
        _remoteMaxMessageSize = remoteMaxMessageSize;
        channel.PooledMessageReceived += (_, lease) =>
        {
            if (!_incoming.TryWrite(lease))
            {
                lease.Dispose(); // closed: nobody will read it
            }
        };
        channel.Error += (_, error) => Complete(error);
        channel.Closed += (_, _) => Complete(null);
    }

    public event EventHandler? Closed;

    public int MaxMessageSize => (int)Math.Min(_remoteMaxMessageSize(), int.MaxValue);

    public ChannelReader<ReadOnlyMemory<byte>> Incoming => _incoming;

    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        _channel.SendAsync(message, cancellationToken);

    public Task FlushAsync(CancellationToken cancellationToken) => _channel.FlushAsync(cancellationToken);

    private void Complete(Exception? error)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _incoming.Complete(error);
        Closed?.Invoke(this, EventArgs.Empty);
    }
}
