using System.Buffers.Binary;

namespace P2p.WebRtc.Sctp.Chunks;

/// <summary>
/// Walks the chunks of a packet (RFC 9260 §3.2): each chunk is a type, flags, a length that counts
/// the header and value but not the padding, and zero padding up to a multiple of four bytes. A chunk
/// whose length is below 4 or runs past the packet sets <see cref="Malformed"/> and stops the walk.
/// </summary>
internal ref struct ChunkIterator
{
    private ReadOnlySpan<byte> _rest;

    public ChunkIterator(ReadOnlySpan<byte> chunks) => _rest = chunks;

    /// <summary>True when the walk stopped at a chunk that does not fit the packet.</summary>
    public bool Malformed { get; private set; }

    /// <summary>Moves to the next chunk; false at the end of the packet or on malformed input.</summary>
    public bool MoveNext(out RawChunk chunk)
    {
        chunk = default;
        if (_rest.IsEmpty || Malformed)
        {
            return false;
        }

        if (_rest.Length < RawChunk.HeaderSize)
        {
            Malformed = true;
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(_rest[2..]);
        if (length < RawChunk.HeaderSize || length > _rest.Length)
        {
            Malformed = true;
            return false;
        }

        chunk = new RawChunk(_rest[0], _rest[1], _rest[..length]);
        var padded = ChunkWriter.Pad4(length);
        _rest = padded >= _rest.Length ? [] : _rest[padded..];
        return true;
    }
}
