using System.Collections.Concurrent;

namespace P2p.Testing.NatLab;

/// <summary>
/// A dedicated thread that has entered a network namespace (setns) and runs work items there, one at a time.
/// A socket keeps the namespace it was created in, so a socket created here can be used from any thread after.
/// Work items must be synchronous: an <c>await</c> inside one would continue on another thread, outside the namespace.
/// </summary>
internal sealed class NamespaceThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread _thread;

    /// <summary>Starts the thread and waits until it is inside <paramref name="namespaceName"/>.</summary>
    /// <exception cref="IOException">setns failed.</exception>
    public NamespaceThread(string namespaceName)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() =>
        {
            try
            {
                LinuxNetworkNamespaces.EnterOnThisThread(namespaceName);
            }
            catch (Exception e)
            {
                entered.SetException(e);
                return;
            }

            entered.SetResult();
            foreach (var item in _work.GetConsumingEnumerable())
            {
                item();
            }
        })
        {
            IsBackground = true,
            Name = $"netns {namespaceName}",
        };
        _thread.Start();
        entered.Task.GetAwaiter().GetResult();
    }

    /// <summary>Runs <paramref name="work"/> on the thread.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task;
    }

    /// <summary>Runs <paramref name="work"/> on the thread and waits for it (inline when already on it).</summary>
    public T Run<T>(Func<T> work) =>
        Environment.CurrentManagedThreadId == _thread.ManagedThreadId ? work() : RunAsync(work).GetAwaiter().GetResult();

    /// <summary>Lets queued work finish and ends the thread.</summary>
    public void Dispose()
    {
        _work.CompleteAdding();
        if (Environment.CurrentManagedThreadId != _thread.ManagedThreadId)
        {
            _thread.Join();
        }

        _work.Dispose();
    }
}
