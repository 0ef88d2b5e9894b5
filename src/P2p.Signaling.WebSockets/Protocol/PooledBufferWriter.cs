using System.Buffers;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>An <see cref="IBufferWriter{T}"/> over <see cref="FrameBufferPool"/> arrays whose result is handed off as an <see cref="OutgoingFrame"/>.</summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    private const int MinimumSize = 256;
    private byte[] _buffer = [];
    private int _written;

    public int WrittenCount => _written;

    /// <summary>Makes room for about <paramref name="size"/> bytes up front (e.g. a message that carries a payload of known length).</summary>
    public void Reserve(int size) => Ensure(size);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > _buffer.Length)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Hands the written bytes over as a pooled frame and starts empty again.</summary>
    public OutgoingFrame Detach()
    {
        var frame = new OutgoingFrame(_buffer, _written, pooled: true);
        _buffer = [];
        _written = 0;
        return frame;
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1)
        {
            sizeHint = 1;
        }

        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        var size = Math.Max(Math.Max(_buffer.Length * 2, _written + sizeHint), MinimumSize);
        var grown = FrameBufferPool.Shared.Rent(size);
        _buffer.AsSpan(0, _written).CopyTo(grown);
        if (_buffer.Length > 0)
        {
            FrameBufferPool.Shared.Return(_buffer);
        }

        _buffer = grown;
    }
}
