using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;
using P2p.WebRtc.DataChannels;

namespace P2p.Transport.WebRtc;

/// <summary>
/// The frames received on one data channel, waiting for the group's receive loop: one writer (the SCTP delivery
/// thread), one reader. Each frame waits as a pooled <see cref="RtcDataChannelMessageLease"/>, so its bytes count
/// against the SCTP receive window until the reader takes it: <see cref="TryRead"/> copies the frame into an array of
/// its own (the reader owns what it reads) and disposes the lease.
/// </summary>
/// <remarks>
/// A <see cref="ChannelReader{T}"/> of our own rather than <c>Channel.CreateUnbounded</c>: that channel allocates a
/// waiter object (~200 bytes) for every <see cref="WaitToReadAsync"/> with a cancellable token, i.e. for every message
/// of a request/reply exchange. Here the one reader's wait is a reused <see cref="IValueTaskSource{TResult}"/>, so a
/// wait allocates nothing. As with <c>AllowSynchronousContinuations</c>, the reader's continuation runs on the thread
/// that wrote the frame.
/// </remarks>
internal sealed class FrameQueue : ChannelReader<ReadOnlyMemory<byte>>, IValueTaskSource<bool>
{
    private readonly Lock _lock = new();
    private readonly Queue<RtcDataChannelMessageLease> _frames = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ManualResetValueTaskSourceCore<bool> _waiter; // RunContinuationsAsynchronously = false: resumes on the writer's thread
    private CancellationTokenRegistration _waiterCancellation;
    private bool _waiting;
    private bool _completed;
    private Exception? _error;

    /// <inheritdoc/>
    public override Task Completion => _completion.Task;

    /// <inheritdoc/>
    public override bool CanCount => true;

    /// <inheritdoc/>
    public override bool CanPeek => true;

    /// <inheritdoc/>
    public override int Count
    {
        get
        {
            lock (_lock)
            {
                return _frames.Count;
            }
        }
    }

    /// <summary>Queues a frame; false (the caller disposes the lease) once the queue was completed.</summary>
    public bool TryWrite(RtcDataChannelMessageLease frame)
    {
        lock (_lock)
        {
            if (_completed)
            {
                return false;
            }

            _frames.Enqueue(frame);
            if (!TakeWaiter())
            {
                return true;
            }
        }

        _waiter.SetResult(true);
        return true;
    }

    /// <summary>
    /// No more frames will be written; once the reader has read the rest, a wait ends with false, or throws
    /// <paramref name="error"/> itself when there is one (as a channel completed with an error does).
    /// </summary>
    public void Complete(Exception? error)
    {
        bool wake;
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            _error = error;
            if (_frames.Count == 0)
            {
                SetCompletion();
            }

            wake = TakeWaiter();
        }

        if (wake)
        {
            if (error is null)
            {
                _waiter.SetResult(false);
            }
            else
            {
                _waiter.SetException(error);
            }
        }
    }

    /// <inheritdoc/>
    public override bool TryRead([MaybeNullWhen(false)] out ReadOnlyMemory<byte> item)
    {
        RtcDataChannelMessageLease entry;
        lock (_lock)
        {
            if (!_frames.TryDequeue(out entry))
            {
                item = default;
                return false;
            }

            if (_completed && _frames.Count == 0)
            {
                SetCompletion();
            }
        }

        using (entry)
        {
            item = entry.Data.ToArray();
        }

        return true;
    }

    /// <inheritdoc/>
    public override bool TryPeek([MaybeNullWhen(false)] out ReadOnlyMemory<byte> item)
    {
        lock (_lock)
        {
            // Valid until the frame is read (the lease's buffer then goes back to the pool).
            var found = _frames.TryPeek(out var entry);
            item = entry.Data;
            return found;
        }
    }

    /// <inheritdoc/>
    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        short version;
        lock (_lock)
        {
            if (_frames.Count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (_completed)
            {
                return _error is null ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_error);
            }

            if (_waiting)
            {
                throw new InvalidOperationException("Only one wait for frames may be pending.");
            }

            _waiter.Reset();
            _waiting = true;
            version = _waiter.Version;
        }

        if (cancellationToken.CanBeCanceled)
        {
            // Registered outside the lock: a token cancelled meanwhile runs the callback right here.
            var registration = cancellationToken.UnsafeRegister(static (state, token) => ((FrameQueue)state!).CancelWait(token), this);
            lock (_lock)
            {
                if (_waiting && _waiter.Version == version)
                {
                    _waiterCancellation = registration;
                    registration = default;
                }
            }

            registration.Unregister(); // the wait already ended: this registration is not needed
        }

        return new ValueTask<bool>(this, version);
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _waiter.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);

    /// <summary>Under the lock: ends the pending wait, if any, so the caller completes it outside the lock.</summary>
    private bool TakeWaiter()
    {
        if (!_waiting)
        {
            return false;
        }

        _waiting = false;
        _waiterCancellation.Unregister();
        _waiterCancellation = default;
        return true;
    }

    private void CancelWait(CancellationToken token)
    {
        lock (_lock)
        {
            if (!TakeWaiter())
            {
                return;
            }
        }

        _waiter.SetException(new OperationCanceledException(token));
    }

    private void SetCompletion()
    {
        if (_error is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(_error);
        }
    }
}
