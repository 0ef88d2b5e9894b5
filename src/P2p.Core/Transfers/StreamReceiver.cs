using System.Collections.Concurrent;

namespace P2p.Core.Transfers;

/// <summary>
/// The receiving side of <see cref="StreamTransfer.SendStreamAsync"/>: put <see cref="Wrap"/> in the group's request handler.
/// For each transfer it asks the application for a stream to write to (<c>openSink</c>), writes the chunks to it in order
/// (a chunk that arrives early waits for its turn, which holds back the sender), confirms each chunk once written, and
/// tells the application when the transfer ended (<c>completed</c>, with the error when it failed). The receiver disposes the
/// sink after <c>completed</c>.
/// </summary>
public sealed class StreamReceiver
{
    private readonly Func<IncomingStream, CancellationToken, ValueTask<Stream>> _openSink;
    private readonly Func<IncomingStream, Exception?, ValueTask>? _completed;
    private readonly StreamReceiverOptions _options;
    private readonly ConcurrentDictionary<(string Sender, Guid Id), IncomingTransfer> _transfers = new();

    /// <summary>Transfers that ended with an error, and why (so that their late chunks are refused at once, not taken for a new transfer); bounded.</summary>
    private readonly ConcurrentDictionary<(string Sender, Guid Id), string> _ended = new();

    private const int MaxRememberedEnded = 256;

    /// <summary>Creates a receiver.</summary>
    /// <param name="openSink">Returns the stream a new transfer is written to (a file, a <see cref="MemoryStream"/>...); throwing refuses the transfer.</param>
    /// <param name="completed">Told when a transfer ended: the error is <see langword="null"/> when every byte was written and flushed.</param>
    /// <param name="options">Limits (idle timeout, concurrent transfers).</param>
    public StreamReceiver(Func<IncomingStream, CancellationToken, ValueTask<Stream>> openSink, Func<IncomingStream, Exception?, ValueTask>? completed = null, StreamReceiverOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(openSink);
        _openSink = openSink;
        _completed = completed;
        _options = options ?? new StreamReceiverOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.IdleTimeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxConcurrentTransfers, 1, nameof(options));
    }

    /// <summary>How many transfers are open.</summary>
    public int OpenTransfers => _transfers.Count;

    /// <summary>
    /// A request handler that handles stream chunks and passes every other request to <paramref name="next"/> (without one,
    /// other requests are answered with <see cref="GroupErrorCode.NoHandler"/>).
    /// </summary>
    /// <param name="next">The application's handler for its other requests.</param>
    public GroupRequestHandler Wrap(GroupRequestHandler? next = null) => (sender, data, cancellationToken) =>
        TransferChunk.IsChunk(data.Span) ? HandleChunkAsync(sender, data, cancellationToken)
        : next is not null ? next(sender, data, cancellationToken)
        : throw new GroupException(GroupErrorCode.NoHandler, "This member only receives streams.");

    private async ValueTask<ReadOnlyMemory<byte>> HandleChunkAsync(IPeer sender, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!TransferChunk.TryRead(payload, out var id, out var offset, out var first, out var final, out var name, out var length, out var data, out var problem))
        {
            throw new GroupException(GroupErrorCode.HandlerFailed, $"Malformed stream chunk: {problem}.");
        }

        var key = (sender.Id, id);
        if (_ended.TryGetValue(key, out var cause))
        {
            throw new GroupException(GroupErrorCode.HandlerFailed, $"Stream {id} was dropped: {cause}");
        }

        if (first && !_transfers.ContainsKey(key) && _transfers.Count >= _options.MaxConcurrentTransfers)
        {
            throw new GroupException(GroupErrorCode.Unavailable, $"Too many streams at once (at most {_options.MaxConcurrentTransfers}).");
        }

        var transfer = _transfers.GetOrAdd(key, k => new IncomingTransfer(this, k, _options));
        try
        {
            await transfer.WriteAsync(sender, offset, first, final, name, length, data, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await transfer.FailAsync(ex).ConfigureAwait(false);
            if (ex is GroupException)
            {
                throw;
            }

            throw new GroupException(GroupErrorCode.HandlerFailed, $"The stream could not be written: {ex.Message}", ex);
        }

        return ReadOnlyMemory<byte>.Empty;
    }

    /// <summary>One open transfer: its sink, the next offset to write, and the chunks waiting for their turn.</summary>
#pragma warning disable CA1001 // The idle timer is disposed when the transfer ends (EndAsync), not by an owner.
    private sealed class IncomingTransfer
#pragma warning restore CA1001
    {
        private readonly StreamReceiver _owner;
        private readonly (string Sender, Guid Id) _key;
        private readonly Lock _gate = new();
        private readonly Dictionary<long, TaskCompletionSource> _waiting = [];
        private readonly CancellationTokenSource _idle;
        private IncomingStream? _incoming;
        private Stream? _sink;
        private long _next;
        private int _ended;
        private Exception? _endError;

        public IncomingTransfer(StreamReceiver owner, (string Sender, Guid Id) key, StreamReceiverOptions options)
        {
            _owner = owner;
            _key = key;
            _idle = new CancellationTokenSource(options.IdleTimeout, options.TimeProvider);
            _idle.Token.Register(() => _ = EndAsync(new TimeoutException($"No chunk of stream {key.Id} from {key.Sender} for {options.IdleTimeout}."), fromTimer: true));
            IdleTimeout = options.IdleTimeout;
        }

        private TimeSpan IdleTimeout { get; }

        public async Task WriteAsync(IPeer sender, long offset, bool first, bool final, string name, long? length, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            Task turn;
            lock (_gate)
            {
                if (Volatile.Read(ref _ended) != 0)
                {
                    throw new GroupException(GroupErrorCode.HandlerFailed, $"Stream {_key.Id} was dropped: {_endError?.Message}");
                }

                if (offset < _next || _waiting.ContainsKey(offset))
                {
                    throw new GroupException(GroupErrorCode.HandlerFailed, $"Stream {_key.Id}: a chunk at offset {offset} came twice.");
                }

                if (offset == _next)
                {
                    turn = Task.CompletedTask;
                }
                else
                {
                    var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _waiting[offset] = waiting;
                    turn = waiting.Task;
                }

                _idle.CancelAfter(IdleTimeout);
            }

            await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (first)
            {
                _incoming = new IncomingStream(sender, _key.Id, name, length);
                _sink = await _owner._openSink(_incoming, cancellationToken).ConfigureAwait(false);
            }

            var sink = _sink ?? throw new GroupException(GroupErrorCode.HandlerFailed, $"Stream {_key.Id}: its first chunk is missing.");
            await sink.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            if (final)
            {
                await sink.FlushAsync(cancellationToken).ConfigureAwait(false);
                await EndAsync(null).ConfigureAwait(false);
                return;
            }

            TaskCompletionSource? nextTurn;
            lock (_gate)
            {
                _next = offset + data.Length;
                _waiting.Remove(_next, out nextTurn);
            }

            nextTurn?.TrySetResult();
        }

        public Task FailAsync(Exception error) => EndAsync(error, fromTimer: false);

        private async Task EndAsync(Exception? error, bool fromTimer = false)
        {
            _endError ??= error;
            if (Interlocked.Exchange(ref _ended, 1) != 0)
            {
                return;
            }

            if (error is not null)
            {
                if (_owner._ended.Count >= MaxRememberedEnded)
                {
                    _owner._ended.Clear();
                }

                _owner._ended[_key] = error.Message;
            }

            _owner._transfers.TryRemove(_key, out _);
            TaskCompletionSource[] waiting;
            lock (_gate)
            {
                waiting = [.. _waiting.Values];
                _waiting.Clear();
            }

            foreach (var chunk in waiting)
            {
                chunk.TrySetException(new GroupException(GroupErrorCode.HandlerFailed, $"Stream {_key.Id} was dropped: {error?.Message}"));
            }

            try
            {
                if (_incoming is { } incoming && _owner._completed is { } completed)
                {
                    await completed(incoming, error).ConfigureAwait(false);
                }
            }
            finally
            {
                if (_sink is { } sink)
                {
                    await sink.DisposeAsync().ConfigureAwait(false);
                }

                if (!fromTimer)
                {
                    _idle.Dispose(); // not from inside its own callback
                }
            }
        }
    }
}
