using System.Buffers;
using System.Net.WebSockets;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>What <see cref="WebSocketMessageReader.ReceiveAsync"/> read.</summary>
internal enum ReceivedMessageKind : byte
{
    Text,
    Binary,

    /// <summary>A message over the size limit: its first bytes are in the buffer, the rest was discarded.</summary>
    TooLarge,

    /// <summary>The peer sent a close frame.</summary>
    Close,
}

/// <summary>
/// Reads whole WebSocket messages (reassembling frames) into one pooled buffer that grows up to a
/// size limit. A message over the limit is not buffered: its first <c>limit</c> bytes are kept (so its
/// id can be recovered) and the rest is read and dropped, so an oversized message costs no memory and
/// the connection stays usable. An idle connection holds no buffer: each message starts with a
/// zero-byte receive, and when that has to wait, the buffer goes back to the pool until data arrives.
/// Not thread-safe: one reader per receive loop.
/// </summary>
internal sealed class WebSocketMessageReader : IDisposable
{
    private const int InitialSize = 4096;
    private const int RetainedSize = 64 * 1024;

    private readonly int _maxMessageSize;
    private byte[] _buffer;

    public WebSocketMessageReader(int maxMessageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageSize, 1);
        _maxMessageSize = maxMessageSize;
        _buffer = [];
    }

    /// <summary>The buffer holding the last message (valid until the next call).</summary>
    public byte[] Buffer => _buffer;

    /// <summary>Receives one message; returns its kind and the number of bytes in <see cref="Buffer"/>.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<(ReceivedMessageKind Kind, int Length)> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var count = 0;
        var overflow = 0L;
        byte[]? scratch = null;
        var waiting = socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
        if (!waiting.IsCompleted)
        {
            Release();
        }

        var first = await waiting.ConfigureAwait(false);
        if (first.MessageType == WebSocketMessageType.Close)
        {
            return (ReceivedMessageKind.Close, 0);
        }

        if (first.EndOfMessage)
        {
            // An empty message: the zero-byte receive consumed all of it.
            return (first.MessageType == WebSocketMessageType.Binary ? ReceivedMessageKind.Binary : ReceivedMessageKind.Text, 0);
        }

        if (_buffer.Length == 0)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialSize, _maxMessageSize));
        }

        try
        {
            while (true)
            {
                Memory<byte> target;
                if (overflow == 0 && count == Math.Min(_buffer.Length, _maxMessageSize))
                {
                    if (count < _maxMessageSize)
                    {
                        Grow(count);
                    }
                }

                var capacity = Math.Min(_buffer.Length, _maxMessageSize);
                if (count < capacity)
                {
                    target = _buffer.AsMemory(count, capacity - count);
                }
                else
                {
                    scratch ??= ArrayPool<byte>.Shared.Rent(InitialSize);
                    target = scratch;
                }

                var result = await socket.ReceiveAsync(target, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (ReceivedMessageKind.Close, 0);
                }

                if (count < capacity)
                {
                    count += result.Count;
                }
                else
                {
                    overflow += result.Count;
                }

                if (result.EndOfMessage)
                {
                    if (overflow > 0)
                    {
                        return (ReceivedMessageKind.TooLarge, count);
                    }

                    return (result.MessageType == WebSocketMessageType.Binary ? ReceivedMessageKind.Binary : ReceivedMessageKind.Text, count);
                }
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>Gives a large buffer back to the pool after a big message, so idle connections stay small.</summary>
    public void Trim()
    {
        if (_buffer.Length > RetainedSize)
        {
            Release();
        }
    }

    public void Dispose() => Release();

    private void Release()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Grow(int used)
    {
        var size = (int)Math.Min((long)_buffer.Length * 2, _maxMessageSize);
        var grown = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, used).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }
}
