using System.Threading.Tasks.Sources;

namespace P2p.WebRtc.DataChannels;

/// <summary>
/// A reusable wait for a channel's buffered amount to fall low (<see cref="RtcDataChannel.SendAsync"/>), for one
/// sender at a time: a bulk sender pauses every few dozen messages, and a wait of its own would allocate a completion
/// source, a cancellable task and a registration each time. A second sender waiting at once uses the channel's shared
/// completion source instead. Continuations run on the thread pool (never on the network thread that signals).
/// </summary>
internal sealed class DrainWaiter : IValueTaskSource
{
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private bool _pending; // begun and not yet signalled
    private bool _inUse;   // begun and its result not yet taken

    /// <summary>Begins the wait, or returns false when another sender's wait is in use.</summary>
    public bool TryBegin(CancellationToken cancellationToken, out ValueTask wait)
    {
        short version;
        lock (_lock)
        {
            if (_inUse)
            {
                wait = default;
                return false;
            }

            _core.Reset();
            _inUse = true;
            _pending = true;
            version = _core.Version;
        }

        if (cancellationToken.CanBeCanceled)
        {
            // A token cancelled already runs the callback right here, ending the wait.
            var registration = cancellationToken.UnsafeRegister(static (state, token) => ((DrainWaiter)state!).Cancel(token), this);
            lock (_lock)
            {
                if (_pending && _core.Version == version)
                {
                    _registration = registration;
                    registration = default;
                }
            }

            registration.Unregister();
        }

        wait = new ValueTask(this, version);
        return true;
    }

    /// <summary>Ends the pending wait, if any: successfully, or with <paramref name="error"/>.</summary>
    public void Signal(Exception? error)
    {
        lock (_lock)
        {
            if (!TakePending())
            {
                return;
            }
        }

        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            lock (_lock)
            {
                _inUse = false;
            }
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Cancel(CancellationToken token)
    {
        lock (_lock)
        {
            if (!TakePending())
            {
                return;
            }
        }

        _core.SetException(new OperationCanceledException(token));
    }

    /// <summary>Under the lock: true (and no longer pending) when a wait was pending.</summary>
    private bool TakePending()
    {
        if (!_pending)
        {
            return false;
        }

        _pending = false;
        _registration.Unregister();
        _registration = default;
        return true;
    }
}
