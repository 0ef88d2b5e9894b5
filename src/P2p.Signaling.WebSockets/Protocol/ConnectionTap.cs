namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>
/// The plaintext stream under a WebSocket (a client's after TLS, if any; a server's upgraded HTTP/1.1 connection),
/// passed through unchanged for the WebSocket above it, with a second writer beside it:
/// <see cref="FrameSender"/> writes whole, already framed messages here (several in one write) instead
/// of one <c>SendAsync</c> per message. Writes from both sides go through one gate, so frames never
/// interleave: the WebSocket writes each of its frames (pings, pongs, close) in one call.
/// </summary>
internal sealed class ConnectionTap : Stream
{
    private readonly Stream _inner;
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    /// <param name="inner">The connection's plaintext stream.</param>
    /// <param name="isClient">Whether this end is the client (its frames are masked).</param>
    public ConnectionTap(Stream inner, bool isClient)
    {
        _inner = inner;
        IsClient = isClient;
    }

    /// <summary>Whether this end is the client, whose frames must be masked.</summary>
    public bool IsClient { get; }

    public override bool CanRead => _inner.CanRead;

    public override bool CanWrite => _inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Writes complete WebSocket frames (see <see cref="FrameEncoder"/>; masked if <see cref="IsClient"/>) in one write.</summary>
    public ValueTask WriteFramesAsync(ReadOnlyMemory<byte> frames) => WriteGatedAsync(frames, CancellationToken.None);

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _inner.Read(buffer);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _writeGate.Wait();
        try
        {
            _inner.Write(buffer);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteGatedAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        WriteGatedAsync(buffer, cancellationToken);

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask WriteGatedAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _inner.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }
}
