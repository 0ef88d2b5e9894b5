namespace P2p.Core.Mesh;

/// <summary>
/// One pending delayed action at a time: arming replaces whatever was pending, cancelling drops it. The delay is
/// registered with the clock before <see cref="Arm"/> returns, so a test's fake clock can be advanced as soon as the
/// state change that armed it is visible; the action never runs on the caller's stack (callers arm under their locks).
/// </summary>
internal sealed class OneShotTimer(BackgroundWork work, TimeProvider timeProvider, CancellationToken lifetime)
{
    private readonly Lock _gate = new();
    private CancellationTokenSource? _pending;

    /// <summary>Runs <paramref name="action"/> after <paramref name="delay"/> unless re-armed, cancelled, or the lifetime ends first.</summary>
    public void Arm(TimeSpan delay, Action action)
    {
        var timer = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        var elapsed = Task.Delay(delay, timeProvider, timer.Token);
        CancellationTokenSource? replaced;
        lock (_gate)
        {
            replaced = _pending;
            _pending = timer;
        }

        CancelQuietly(replaced);
        work.Track(FireAsync());

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
