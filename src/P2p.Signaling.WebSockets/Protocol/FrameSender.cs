using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>
/// The only writer of one WebSocket: queued frames go out one at a time, in queue order, so sends
/// never overlap. There is no dedicated send loop: whoever queues a frame while nobody is sending
/// becomes the sender and drains the queue (synchronously while the socket accepts data at once),
/// so a frame usually leaves without a thread hop; a send that has to wait continues asynchronously
/// and the queuer returns.
/// </summary>
internal sealed class FrameSender
{
    private readonly WebSocket _socket;
    private readonly Action<Exception> _onError;
    private readonly ConcurrentQueue<OutgoingFrame> _queue = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pumping;
    private long _queuedBytes;
    private volatile bool _completed;
    private volatile bool _failed;

    /// <param name="socket">The socket to write.</param>
    /// <param name="onError">Called once if a send fails (the socket is then unusable); must not throw.</param>
    public FrameSender(WebSocket socket, Action<Exception> onError)
    {
        _socket = socket;
        _onError = onError;
    }

    /// <summary>Bytes queued and not yet sent.</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>Queues a frame (taking ownership); <see langword="false"/> (frame released) once completed or failed.</summary>
    public bool TryEnqueue(OutgoingFrame frame)
    {
        if (_completed || _failed)
        {
            frame.Release();
            return false;
        }

        Interlocked.Add(ref _queuedBytes, frame.Length);
        _queue.Enqueue(frame);
        TryPump();
        return true;
    }

    /// <summary>Accepts no more frames; completes when everything queued was sent (or dropped after a failure).</summary>
    public Task CompleteAsync()
    {
        _completed = true;
        TryPump();
        return _drained.Task;
    }

    private void TryPump()
    {
        if (Interlocked.CompareExchange(ref _pumping, 1, 0) == 0)
        {
            _ = PumpAsync();
        }
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            while (_queue.TryDequeue(out var frame))
            {
                try
                {
                    if (!_failed)
                    {
                        var send = _socket.SendAsync(frame.Memory, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                        if (send.IsCompletedSuccessfully)
                        {
                            send.GetAwaiter().GetResult();
                        }
                        else
                        {
                            await send.ConfigureAwait(false);
                        }
                    }
                }
                catch (Exception ex)
                {
                    if (!_failed)
                    {
                        _failed = true;
                        _onError(ex);
                    }
                }
                finally
                {
                    Interlocked.Add(ref _queuedBytes, -frame.Length);
                    frame.Release();
                }
            }

            // A full fence: a frame queued (or a completion) after the last dequeue but before the flag
            // cleared found us still pumping, and is seen below.
            Interlocked.Exchange(ref _pumping, 0);
            if (_queue.IsEmpty || Interlocked.CompareExchange(ref _pumping, 1, 0) != 0)
            {
                break;
            }
        }

        if ((_completed || _failed) && _queue.IsEmpty)
        {
            _drained.TrySetResult();
        }
    }
}
