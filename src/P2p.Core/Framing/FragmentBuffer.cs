using System.Buffers;

namespace P2p.Core.Framing;

/// <summary>
/// The bytes of one message received in fragments. The buffer grows with the bytes that actually arrive (doubling,
/// never beyond the announced total), so a peer that announces a large message in a few-byte first fragment costs
/// what it sent, not what its header claims. The buffers on the way are rented from the shared pool; the last one is
/// the message itself, exactly its length, so a large message still costs one allocation of its size.
/// </summary>
internal sealed class FragmentBuffer
{
    /// <summary>
    /// The most a first fragment reserves ahead of the bytes received (64 KiB): a message up to this size is held in
    /// one buffer from the start; a larger one doubles its buffer as its fragments arrive.
    /// </summary>
    internal const int InitialCapacity = 64 * 1024;

    private byte[] _buffer;
    private bool _rented;

    /// <param name="totalLength">The message's announced length.</param>
    public FragmentBuffer(uint totalLength)
    {
        TotalLength = totalLength;
        _rented = totalLength > InitialCapacity;
        _buffer = _rented ? ArrayPool<byte>.Shared.Rent(InitialCapacity) : new byte[totalLength];
    }

    /// <summary>The announced length.</summary>
    public uint TotalLength { get; }

    /// <summary>How many bytes have arrived.</summary>
    public int Received { get; private set; }

    /// <summary>The bytes reserved so far (for tests).</summary>
    internal int Capacity => _buffer.Length;

    /// <summary>Appends a fragment; the caller has checked that it fits within <see cref="TotalLength"/>.</summary>
    public void Append(ReadOnlySpan<byte> fragment)
    {
        var needed = Received + fragment.Length;
        if (needed > _buffer.Length)
        {
            // Only a rented buffer grows: one of the whole length is never too small.
            var size = (int)Math.Min(TotalLength, Math.Max((long)needed, (long)_buffer.Length * 2));
            var last = size == TotalLength;
            var grown = last ? new byte[size] : ArrayPool<byte>.Shared.Rent(size);
            _buffer.AsSpan(0, Received).CopyTo(grown);
            ReturnRented();
            _rented = !last;
            _buffer = grown;
        }

        fragment.CopyTo(_buffer.AsSpan(Received));
        Received = needed;
    }

    /// <summary>The whole message, once <see cref="Received"/> equals <see cref="TotalLength"/>: exactly its length, the caller's own.</summary>
    public byte[] ToMessage()
    {
        if (!_rented && _buffer.Length == Received)
        {
            return _buffer;
        }

        var message = _buffer[..Received];
        ReturnRented();
        _buffer = message;
        return message;
    }

    private void ReturnRented()
    {
        if (_rented)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _rented = false;
        }
    }
}
