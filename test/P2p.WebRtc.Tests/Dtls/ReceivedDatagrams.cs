using P2p.WebRtc.Net;

namespace P2p.WebRtc.Tests.Dtls;

/// <summary>Collects datagrams from a receive handler; tests await a count with a timeout.</summary>
internal sealed class ReceivedDatagrams
{
    private readonly Lock _lock = new();
    private readonly List<byte[]> _items = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

    public DatagramReceivedHandler Handler => Add;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    public IReadOnlyList<byte[]> Items
    {
        get
        {
            lock (_lock)
            {
                return _items.ToArray();
            }
        }
    }

    public Task WaitForCountAsync(int count, TimeSpan? timeout = null)
    {
        Task task;
        lock (_lock)
        {
            if (_items.Count >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            task = done.Task;
        }

        return task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10));
    }

    private void Add(ReadOnlySpan<byte> datagram)
    {
        var copy = datagram.ToArray();
        lock (_lock)
        {
            _items.Add(copy);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_items.Count >= _waiters[i].Count)
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
