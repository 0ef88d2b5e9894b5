using Microsoft.Extensions.Logging;
using P2p.WebRtc.DataChannels;

namespace WebRtcEcho;

/// <summary>
/// Answer mode's echo on one channel the peer opened: every message goes back on the same channel,
/// strings as strings, binary as binary, in order. Sending never blocks the connection's thread:
/// while more than <see cref="RtcDataChannel.MaxBufferedAmount"/> is queued in the channel, messages
/// wait in a backlog here and go out as <see cref="RtcDataChannel.BufferedAmountLow"/> fires.
/// </summary>
internal sealed class ChannelEcho
{
    private readonly RtcDataChannel _channel;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private readonly Queue<RtcDataChannelMessageEventArgs> _backlog = new();
    private long _messages;
    private long _bytes;
    private long _dropped;

    public ChannelEcho(RtcDataChannel channel, ILogger logger)
    {
        _channel = channel;
        _logger = logger;
        channel.MessageReceived += (_, e) => OnMessage(e);
        channel.BufferedAmountLow += (_, _) => Drain();
        channel.Error += (_, e) => logger.LogWarning("channel '{Label}' failed: {Message}", channel.Label, e.Message);
        channel.Closed += (_, _) => logger.LogInformation(
            "channel '{Label}' closed after echoing {Messages} messages ({Bytes} bytes){Dropped}",
            channel.Label, Messages, Bytes, _dropped > 0 ? $"; {_dropped} could not be sent back" : string.Empty);
    }

    public long Messages => Interlocked.Read(ref _messages);

    public long Bytes => Interlocked.Read(ref _bytes);

    private void OnMessage(RtcDataChannelMessageEventArgs message)
    {
        lock (_sync)
        {
            if (_backlog.Count > 0 || _channel.BufferedAmount > _channel.MaxBufferedAmount)
            {
                _backlog.Enqueue(message); // the receiver owns the message's bytes, so keeping them is fine
                return;
            }

            SendLocked(message);
        }
    }

    private void Drain()
    {
        lock (_sync)
        {
            while (_backlog.Count > 0 && _channel.BufferedAmount <= _channel.MaxBufferedAmount)
            {
                SendLocked(_backlog.Dequeue());
            }
        }
    }

    private void SendLocked(RtcDataChannelMessageEventArgs message)
    {
        try
        {
            if (message.IsText)
            {
                _channel.Send(message.Text);
            }
            else
            {
                _channel.Send(message.Data.Span);
            }

            Interlocked.Increment(ref _messages);
            Interlocked.Add(ref _bytes, message.Data.Length);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // Closing, or larger than the peer accepts: nothing to send it on, say so.
            _dropped++;
            _logger.LogWarning("could not echo a {Length}-byte message on '{Label}': {Message}", message.Data.Length, _channel.Label, e.Message);
        }
    }
}
