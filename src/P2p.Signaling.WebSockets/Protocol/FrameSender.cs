using System.Buffers;
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
/// <remarks>
/// With a <see cref="ConnectionTap"/>, frames bypass <see cref="WebSocket.SendAsync(ReadOnlyMemory{byte}, WebSocketMessageType, bool, CancellationToken)"/>:
/// the sender starts on the thread pool, behind the work already queued there, and everything queued by then is framed
/// (<see cref="FrameEncoder"/>) into one buffer and written at once, so a busy connection makes one write for many
/// messages. A receive loop can <see cref="Cork"/> the sender while it handles messages that arrived together, so the
/// answers it queues leave together when it <see cref="Uncork"/>s.
/// </remarks>
internal sealed class FrameSender : IThreadPoolWorkItem
{
    // A thread's batch buffer starts small and doubles (up to the largest) each time a batch did not fit.
    private const int FirstBatchBufferSize = 2 * 1024;
    private const int BatchBufferSize = 16 * 1024;

    [ThreadStatic]
    private static byte[]? t_batch;

    private readonly WebSocket _socket;
    private readonly ConnectionTap? _tap;
    private readonly Action<Exception> _onError;
    private readonly ConcurrentQueue<OutgoingFrame> _queue = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pumping;
    private long _queuedBytes;
    private volatile bool _completed;
    private volatile bool _failed;
    private volatile bool _corked;

    // A frame taken from the queue that did not fit the last batch (touched by the pump only).
    private OutgoingFrame _carried;
    private bool _hasCarried;

    /// <param name="socket">The socket to write.</param>
    /// <param name="onError">Called once if a send fails (the socket is then unusable); must not throw.</param>
    /// <param name="tap">The socket's connection stream, to write framed messages to directly; <see langword="null"/> to send through the socket.</param>
    public FrameSender(WebSocket socket, Action<Exception> onError, ConnectionTap? tap = null)
    {
        _socket = socket;
        _onError = onError;
        _tap = tap;
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
        if (!_corked)
        {
            TryPump();
        }

        return true;
    }

    /// <summary>Holds frames queued from now on until <see cref="Uncork"/> (a hint: a send already under way still drains the queue).</summary>
    public void Cork() => _corked = true;

    /// <summary>Sends what was held back by <see cref="Cork"/>, and sends at once again.</summary>
    public void Uncork()
    {
        if (_corked)
        {
            _corked = false;
            TryPump();
        }
    }

    /// <summary>Accepts no more frames; completes when everything queued was sent (or dropped after a failure).</summary>
    public Task CompleteAsync()
    {
        _completed = true;
        _corked = false;
        TryPump();
        return _drained.Task;
    }

    private void TryPump()
    {
        if (Interlocked.CompareExchange(ref _pumping, 1, 0) == 0)
        {
            if (_tap is null)
            {
                _ = PumpAsync();
            }
            else
            {
                // Behind the work already queued, so that what is queued meanwhile leaves in the same write.
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }
    }

    void IThreadPoolWorkItem.Execute() => _ = PumpAsync();

    private async Task PumpAsync()
    {
        while (true)
        {
            if (_tap is not null)
            {
                while (_hasCarried || !_queue.IsEmpty)
                {
                    await SendBatchAsync(_tap).ConfigureAwait(false);
                }
            }

            while (_tap is null && _queue.TryDequeue(out var frame))
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
                    Fail(ex);
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

    /// <summary>The next frame to send: one held over from the last batch, else the queue's next.</summary>
    private bool TryTakeNext(out OutgoingFrame frame)
    {
        if (_hasCarried)
        {
            frame = _carried;
            _carried = default;
            _hasCarried = false;
            return true;
        }

        return _queue.TryDequeue(out frame);
    }

    /// <summary>
    /// Frames what is queued (as much as fits the thread's batch buffer, at most <see cref="BatchBufferSize"/>, at least one message) into one buffer and
    /// writes it. The buffer is the thread's own while the write completes at once; a larger message gets a pooled one.
    /// </summary>
    private async ValueTask SendBatchAsync(ConnectionTap tap)
    {
        var batch = t_batch ?? new byte[FirstBatchBufferSize];
        t_batch = null;
        var rented = false;
        var used = 0;
        long payload = 0;
        while (TryTakeNext(out var frame))
        {
            var needed = FrameEncoder.MaxFrameLength(frame.Length);
            if (used + needed > batch.Length)
            {
                if (used > 0)
                {
                    // Not peeked: ConcurrentQueue.TryPeek would make the queue allocate new segments from then on.
                    _carried = frame;
                    _hasCarried = true;
                    if (!rented && batch.Length < BatchBufferSize)
                    {
                        t_batch = new byte[batch.Length * 2];
                    }

                    break;
                }

                t_batch ??= batch;
                batch = ArrayPool<byte>.Shared.Rent(needed);
                rented = true;
            }

            if (!_failed)
            {
                used += tap.IsClient
                    ? FrameEncoder.WriteTextFrame(frame.Memory.Span, batch.AsSpan(used))
                    : FrameEncoder.WriteUnmaskedTextFrame(frame.Memory.Span, batch.AsSpan(used));
            }

            payload += frame.Length;
            frame.Release();
        }

        try
        {
            if (!_failed && used > 0)
            {
                var write = tap.WriteFramesAsync(batch.AsMemory(0, used));
                if (write.IsCompletedSuccessfully)
                {
                    write.GetAwaiter().GetResult();
                }
                else
                {
                    await write.ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
        finally
        {
            Interlocked.Add(ref _queuedBytes, -payload);
            if (rented)
            {
                ArrayPool<byte>.Shared.Return(batch);
            }
            else
            {
                t_batch ??= batch;
            }
        }
    }

    /// <summary>The first send failure is reported (the connection is then going down); later frames are dropped quietly.</summary>
    private void Fail(Exception ex)
    {
        if (!_failed)
        {
            _failed = true;
            _onError(ex);
        }
    }
}
