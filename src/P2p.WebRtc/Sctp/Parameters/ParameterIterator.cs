using System.Buffers.Binary;
using P2p.WebRtc.Sctp.Chunks;

namespace P2p.WebRtc.Sctp.Parameters;

/// <summary>
/// Walks a list of TLV parameters or error causes (RFC 9260 §3.2.1, §3.3.10: same layout). A length
/// below 4 or past the end sets <see cref="Malformed"/> and stops the walk.
/// </summary>
internal ref struct ParameterIterator
{
    private ReadOnlySpan<byte> _rest;

    public ParameterIterator(ReadOnlySpan<byte> parameters) => _rest = parameters;

    /// <summary>True when the walk stopped at a parameter that does not fit.</summary>
    public bool Malformed { get; private set; }

    /// <summary>Moves to the next parameter.</summary>
    public bool MoveNext(out RawParameter parameter)
    {
        parameter = default;
        if (_rest.IsEmpty || Malformed)
        {
            return false;
        }

        if (_rest.Length < RawParameter.HeaderSize)
        {
            Malformed = true;
            return false;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(_rest);
        int length = BinaryPrimitives.ReadUInt16BigEndian(_rest[2..]);
        if (length < RawParameter.HeaderSize || length > _rest.Length)
        {
            Malformed = true;
            return false;
        }

        parameter = new RawParameter(type, _rest[..length]);
        var padded = ChunkWriter.Pad4(length);
        _rest = padded >= _rest.Length ? [] : _rest[padded..];
        return true;
    }
}
