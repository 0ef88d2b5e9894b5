using System.Threading.Tasks.Sources;

namespace P2p.Core.Messaging;

/// <summary>
/// A request waiting for its reply on a <see cref="LinkMessenger"/>: the awaitable the caller waits on, and the one token
/// that ends the wait at the deadline or when the caller cancels. Pooled by its messenger and reused, so a request that
/// completes in time allocates none of it (its <see cref="CancellationTokenSource"/> and timer are reset, not recreated).
/// </summary>
internal sealed class PendingRequest : IValueTaskSource<ReadOnlyMemory<byte>>, IDisposable
{
    private ManualResetValueTaskSourceCore<ReadOnlyMemory<byte>> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenSource _deadline;
    private CancellationTokenRegistration _callerRegistration;
    private CancellationTokenRegistration _deadlineRegistration;
    private CancellationToken _caller;
    private int _done;

    public PendingRequest(TimeProvider timeProvider) => _deadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);

    /// <summary>Cancelled when the deadline passes or the caller cancels: for whatever the request waits on.</summary>
    public CancellationToken Token => _deadline.Token;

    /// <summary>The version of the awaitable for this use.</summary>
    public short Version => _core.Version;

    /// <summary>Arms it for one request.</summary>
    /// <param name="timeout">How long the request may take (infinite: the caller's token bounds it).</param>
    /// <param name="caller">The caller's token.</param>
    public void Start(TimeSpan timeout, CancellationToken caller)
    {
        _core.Reset();
        Volatile.Write(ref _done, 0);
        _caller = caller;
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            _deadline.CancelAfter(timeout);
        }

        if (caller.CanBeCanceled)
        {
            // A late callback of an earlier use sees another token and does nothing.
            _callerRegistration = caller.UnsafeRegister(
                static (state, token) =>
                {
                    var self = (PendingRequest)state!;
                    if (self._caller == token)
                    {
                        self._deadline.Cancel();
                    }
                },
                this);
        }

        _deadlineRegistration = _deadline.Token.UnsafeRegister(
            static state => ((PendingRequest)state!).TrySetException(new OperationCanceledException(((PendingRequest)state!)._deadline.Token)),
            this);
    }

    /// <summary>The reply came.</summary>
    public bool TrySetResult(ReadOnlyMemory<byte> reply)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
        {
            return false;
        }

        _core.SetResult(reply);
        return true;
    }

    /// <summary>An error answer came, the link failed, or the wait ended.</summary>
    public bool TrySetException(Exception error)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
        {
            return false;
        }

        _core.SetException(error);
        return true;
    }

    /// <summary>Disarms it after use; false when it cannot be used again (its token was cancelled): dispose it then.</summary>
    public bool Finish()
    {
        Interlocked.Exchange(ref _done, 1);
        _callerRegistration.Unregister();
        _deadlineRegistration.Unregister();
        _caller = default;
        return _deadline.TryReset();
    }

    public ReadOnlyMemory<byte> GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    public void Dispose() => _deadline.Dispose();
}
