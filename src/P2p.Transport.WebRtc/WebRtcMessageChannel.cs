using System.Threading.Channels;
using P2p.Core.Transport;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Sctp;

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
    private readonly Channel<(ReadOnlyMemory<byte> Frame, SctpReceiveCredit Credit)> _incoming =
        Channel.CreateUnbounded<(ReadOnlyMemory<byte>, SctpReceiveCredit)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });

    private readonly CreditReleasingReader _reader;

    private int _closed;

    public WebRtcMessageChannel(RtcDataChannel channel, Func<long> remoteMaxMessageSize)
    {
        _channel = channel;
        _remoteMaxMessageSize = remoteMaxMessageSize;
        _reader = new CreditReleasingReader(_incoming.Reader);
        channel.MessageReceived += (_, e) =>
        {
            var credit = e.DeferConsumption();
            if (!_incoming.Writer.TryWrite((e.Data, credit)))
            {
                credit.Release(); // closed: nobody will read it
            }
        };
        channel.Error += (_, error) => Complete(error);
        channel.Closed += (_, _) => Complete(null);
    }

    public event EventHandler? Closed;

    public int MaxMessageSize => (int)Math.Min(_remoteMaxMessageSize(), int.MaxValue);

    public ChannelReader<ReadOnlyMemory<byte>> Incoming => _reader;

    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        _channel.SendAsync(message, cancellationToken);

    private void Complete(Exception? error)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _incoming.Writer.TryComplete(error);
        Closed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>Hands frames to the receive loop, releasing each one's receive-window credit as it is taken.</summary>
    private sealed class CreditReleasingReader(ChannelReader<(ReadOnlyMemory<byte> Frame, SctpReceiveCredit Credit)> inner)
        : ChannelReader<ReadOnlyMemory<byte>>
    {
        public override Task Completion => inner.Completion;

        public override bool CanCount => inner.CanCount;

        public override int Count => inner.Count;

        public override bool TryRead(out ReadOnlyMemory<byte> item)
        {
            if (inner.TryRead(out var entry))
            {
                entry.Credit.Release();
                item = entry.Frame;
                return true;
            }

            item = default;
            return false;
        }

        public override bool TryPeek(out ReadOnlyMemory<byte> item)
        {
            var found = inner.TryPeek(out var entry);
            item = entry.Frame;
            return found;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
            inner.WaitToReadAsync(cancellationToken);
    }
}
