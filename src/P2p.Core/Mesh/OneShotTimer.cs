namespace P2p.Core.Mesh;

/// <summary>
/// One pending delayed action at a time: arming replaces whatever was pending, cancelling drops it. The delay is
/// registered with the clock before <see cref="Arm"/> returns, so a test's fake clock can be advanced as soon as the
/// state change that armed it is visible; the action never runs on the caller's stack (callers arm under their locks).
/// Nor in the caller's execution context: the action starts from an empty one (no log scopes, no ambient activity).
/// Otherwise every action that arms the next one (a retry after a failed retry, for as long as a member is unreachable)
/// would run inside all the scopes of the ones before it, a chain that grows without end.
/// </summary>
internal sealed class OneShotTimer(BackgroundWork work, TimeProvider timeProvider, CancellationToken lifetime)
{
    private readonly Lock _gate = new();
    private CancellationTokenSource? _pending;

    /// <summary>Runs <paramref name="action"/> after <paramref name="delay"/> unless re-armed, cancelled, or the lifetime ends first.</summary>
    public void Arm(TimeSpan delay, Action action)
    {
        var timer = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        CancellationTokenSource? replaced;
        lock (_gate)
        {
            replaced = _pending;
            _pending = timer;
        }

        CancelQuietly(replaced);
        Task elapsed, fire;
        var suppressed = ExecutionContext.IsFlowSuppressed();
        var flow = suppressed ? default : ExecutionContext.SuppressFlow();
        try
        {
            elapsed = Task.Delay(delay, timeProvider, timer.Token);
            fire = FireAsync();
        }
        finally
        {
            if (!suppressed)
            {
                flow.Undo();
            }
        }

        work.Track(fire);

        async Task FireAsync()
        {
            await Task.Yield();
            try
            {
                await elapsed.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                lock (_gate)
                {
                    if (_pending == timer)
                    {
                        _pending = null;
                    }
                }

                timer.Dispose();
            }

            action();
        }
    }

    /// <summary>Drops the pending action, if any.</summary>
    public void Cancel()
    {
        CancellationTokenSource? pending;
        lock (_gate)
        {
            pending = _pending;
            _pending = null;
        }

        CancelQuietly(pending);
    }

    private static void CancelQuietly(CancellationTokenSource? timer)
    {
        try
        {
            timer?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It fired and cleaned up meanwhile.
        }
    }
}
