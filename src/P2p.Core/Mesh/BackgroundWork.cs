using System.Collections.Concurrent;

namespace P2p.Core.Mesh;

/// <summary>The background tasks of a group, so that leaving can wait until none is left running.</summary>
internal sealed class BackgroundWork
{
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();
    private int _counted;
    private TaskCompletionSource? _countedIdle;

    /// <summary>How many tracked tasks and counted pieces of work are still running.</summary>
    public int Count => _tasks.Count + Volatile.Read(ref _counted);

    /// <summary>
    /// Counts a piece of work that <see cref="Exit"/> ends (a request handler: cheaper than tracking its task). It must not
    /// throw past its own code, since nobody observes it.
    /// </summary>
    public void Enter() => Interlocked.Increment(ref _counted);

    /// <summary>Ends a piece of work counted by <see cref="Enter"/>.</summary>
    public void Exit()
    {
        if (Interlocked.Decrement(ref _counted) == 0)
        {
            Volatile.Read(ref _countedIdle)?.TrySetResult();
        }
    }

    /// <summary>Runs <paramref name="work"/> on the thread pool and tracks it.</summary>
    public void Run(Func<Task> work) => Track(Task.Run(work));

    /// <summary>Tracks a started task (its exception, if any, is observed).</summary>
    public void Track(Task task)
    {
        _tasks[task] = 0;
        task.ContinueWith(
            static (t, state) =>
            {
                _ = t.Exception;
                ((ConcurrentDictionary<Task, byte>)state!).TryRemove(t, out _);
            },
            _tasks,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Waits until no tracked task is running (tasks started meanwhile included), at most <paramref name="timeout"/>.</summary>
    /// <returns><see langword="false"/> when some task was still running at the timeout.</returns>
    public async Task<bool> WhenIdleAsync(TimeSpan timeout, TimeProvider timeProvider)
    {
        var deadline = timeProvider.GetTimestamp() + (long)(timeout.TotalSeconds * timeProvider.TimestampFrequency);
        while (true)
        {
            var running = _tasks.Keys.ToArray();
            if (Volatile.Read(ref _counted) > 0)
            {
                var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _countedIdle, idle);
                if (Volatile.Read(ref _counted) == 0)
                {
                    idle.TrySetResult(); // it ended in between
                }

                running = [.. running, idle.Task];
            }

            if (running.Length == 0)
            {
                return true;
            }

            var left = timeProvider.GetElapsedTime(timeProvider.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            try
            {
                await Task.WhenAll(running).WaitAsync(left, timeProvider).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return false;
            }
            catch (Exception)
            {
                // The tasks' own failures were logged by them; only their completion matters here.
            }

            // Let the removal continuations run before looking again.
            await Task.Yield();
        }
    }
}
