namespace P2p.Core.Framing;

/// <summary>
/// The bytes of one message received in fragments. The buffer grows with the bytes that actually arrive (doubling,
/// never beyond the announced total), so a peer that announces a large message in a few-byte first fragment costs
/// what it sent, not what its header claims.
/// </summary>
internal sealed class FragmentBuffer
{
    /// <summary>
    /// The most a first fragment reserves ahead of the bytes received (64 KiB): a message up to this size is held in
    /// one buffer from the start; a larger one doubles its buffer as its fragments arrive.
    /// </summary>
    internal const int InitialCapacity = 64 * 1024;

    private byte[] _buffer;

    /// <param name="totalLength">The message's announced length.</param>
    public FragmentBuffer(uint totalLength)
    {
        TotalLength = totalLength;
        _buffer = new byte[Math.Min(totalLength, InitialCapacity)];
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
            var size = (int)Math.Min(TotalLength, Math.Max((long)needed, (long)_buffer.Length * 2));
            Array.Resize(ref _buffer, size);
        }

        fragment.CopyTo(_buffer.AsSpan(Received));
        Received = needed;
    }

    /// <summary>The whole message, once <see cref="Received"/> equals <see cref="TotalLength"/>: exactly its length.</summary>
    public byte[] ToMessage() => _buffer.Length == Received ? _buffer : _buffer[..Received];
}
