using P2p.Core;

namespace P2p.Benchmarks.Report;

/// <summary>Counts the broadcast bytes one member's <see cref="GroupOptions.MessageHandler"/> receives, and signals when an expected amount arrived.</summary>
internal sealed class ByteCounter
{
    private long _bytes;
    private long _expected = long.MaxValue;
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Bytes since the last <see cref="Arm"/>.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Completes once the armed amount arrived.</summary>
    public Task Done => Volatile.Read(ref _done).Task;

    /// <summary>Starts counting from zero towards <paramref name="expected"/> bytes (call while nothing is in flight).</summary>
    public void Arm(long expected)
    {
        Volatile.Write(ref _done, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Exchange(ref _bytes, 0);
        Interlocked.Exchange(ref _expected, expected);
        if (expected <= 0)
        {
            _done.TrySetResult();
        }
    }

    /// <summary>The member's message handler.</summary>
    public ValueTask OnMessageAsync(IPeer sender, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (Interlocked.Add(ref _bytes, data.Length) >= Interlocked.Read(ref _expected))
        {
            Volatile.Read(ref _done).TrySetResult();
        }

        return ValueTask.CompletedTask;
    }
}
