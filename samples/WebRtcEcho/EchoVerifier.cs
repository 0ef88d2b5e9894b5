using System.Diagnostics;
using P2p.WebRtc.DataChannels;

namespace WebRtcEcho;

/// <summary>
/// Offer mode's check of what comes back, in order: the text message (as text), the binary message
/// (as binary), then the bulk stream (<see cref="TestPattern"/>) message by message with the sizes
/// sent. The first difference fails <see cref="Completion"/>.
/// </summary>
internal sealed class EchoVerifier(string text, byte[] binary, TestPattern pattern, long bulkBytes, int messageSize)
{
    private readonly Lock _sync = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _index;
    private long _bulkBack;
    private long _waitFor;
    private TaskCompletionSource? _waiter;

    /// <summary>Completes when everything came back intact; fails with <see cref="ExitCode.Failed"/> at the first difference.</summary>
    public Task Completion => _done.Task;

    /// <summary>Bulk bytes back and checked so far.</summary>
    public long BulkBytesBack => Interlocked.Read(ref _bulkBack);

    /// <summary>Bulk messages back and checked so far.</summary>
    public long BulkMessagesBack => Math.Max(0, Interlocked.Read(ref _index) - 2);

    /// <summary>The <see cref="Stopwatch"/> timestamp of the last bulk byte back.</summary>
    public long FinishedAt { get; private set; }

    /// <summary>Completes once at least <paramref name="bytes"/> bulk bytes came back (fails with <see cref="Completion"/>).</summary>
    public Task WaitForBulkAsync(long bytes)
    {
        lock (_sync)
        {
            if (_bulkBack >= bytes || _done.Task.IsCompleted)
            {
                return _done.Task.IsFaulted ? _done.Task : Task.CompletedTask;
            }

            _waitFor = bytes;
            _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiter.Task;
        }
    }

    public void OnMessage(RtcDataChannelMessageEventArgs message)
    {
        if (_done.Task.IsCompleted)
        {
            return;
        }

        var index = Interlocked.Increment(ref _index) - 1;
        var problem = index switch
        {
            0 => !message.IsText ? "the text message came back as binary"
                : message.Text != text ? $"the text message came back altered: \"{message.Text}\""
                : null,
            1 => message.IsText ? "the binary message came back as text"
                : !message.Data.Span.SequenceEqual(binary) ? $"the {binary.Length}-byte binary message came back altered ({message.Data.Length} bytes)"
                : null,
            _ => CheckBulk(index - 2, message),
        };
        if (problem is not null)
        {
            Fail(problem);
            return;
        }

        if (index >= 1 && BulkBytesBack == bulkBytes)
        {
            FinishedAt = Stopwatch.GetTimestamp();
            lock (_sync)
            {
                _waiter?.TrySetResult();
            }

            _done.TrySetResult();
        }
    }

    private string? CheckBulk(long number, RtcDataChannelMessageEventArgs message)
    {
        var offset = BulkBytesBack;
        var expectedLength = (int)Math.Min(messageSize, bulkBytes - offset);
        if (expectedLength <= 0)
        {
            return $"an unexpected extra message of {message.Data.Length} bytes came back";
        }

        if (message.IsText)
        {
            return $"bulk message {number} came back as text";
        }

        if (message.Data.Length != expectedLength)
        {
            return $"bulk message {number} came back with {message.Data.Length} bytes instead of {expectedLength}";
        }

        var mismatch = pattern.FirstMismatch(offset, message.Data.Span);
        if (mismatch >= 0)
        {
            return $"bulk byte {offset + mismatch} (in message {number}) came back wrong: corrupted, reordered or lost data";
        }

        lock (_sync)
        {
            _bulkBack = offset + expectedLength;
            if (_waiter is not null && _bulkBack >= _waitFor)
            {
                _waiter.TrySetResult();
                _waiter = null;
            }
        }

        return null;
    }

    private void Fail(string problem)
    {
        var error = new EchoException(ExitCode.Failed, problem);
        lock (_sync)
        {
            _waiter?.TrySetException(error);
        }

        _done.TrySetException(error);
    }
}
