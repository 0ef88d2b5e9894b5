using System.Buffers;

namespace P2p.WebRtc.Sctp;

/// <summary>
/// A free list of equally sized buffers (one SCTP packet or one DATA chunk's user data each), so
/// that the data path does not allocate once it has warmed up. The shared
/// <see cref="ArrayPool{T}"/> keeps only a few dozen buffers per size and per core, fewer than a
/// congestion window's worth of packets or a receive window's worth of out-of-order chunks: past
/// that it allocates on every rent. Requests larger than <see cref="BufferSize"/> (none in
/// practice) go to the shared pool. Not thread-safe: callers hold the association's lock.
/// </summary>
/// <param name="bufferSize">The size of every pooled buffer.</param>
/// <param name="maxRetained">How many returned buffers are kept at most; the rest go to the GC.</param>
internal sealed class PacketBufferPool(int bufferSize, int maxRetained)
{
    private readonly Stack<byte[]> _free = new();

    public int BufferSize { get; } = bufferSize;

    /// <summary>Buffers kept for reuse (for tests).</summary>
    public int Count => _free.Count;

    /// <summary>A buffer of at least <paramref name="length"/> bytes (contents undefined).</summary>
    public byte[] Rent(int length)
    {
        if (length > BufferSize)
        {
            return ArrayPool<byte>.Shared.Rent(length);
        }

        return _free.TryPop(out var buffer) ? buffer : GC.AllocateUninitializedArray<byte>(BufferSize);
    }

    /// <summary>Takes back a buffer from <see cref="Rent"/>.</summary>
    public void Return(byte[] buffer)
    {
        if (buffer.Length != BufferSize)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        else if (_free.Count < maxRetained)
        {
            _free.Push(buffer);
        }
    }
}
