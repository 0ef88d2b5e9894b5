using System.Buffers.Binary;
using System.Security.Cryptography;

namespace P2p.WebRtc.Stun;

/// <summary>A 96-bit STUN transaction id (RFC 8489 §5), a value type usable as a dictionary key.</summary>
public readonly struct StunTransactionId : IEquatable<StunTransactionId>
{
    private readonly ulong _high;
    private readonly uint _low;

    private StunTransactionId(ulong high, uint low)
    {
        _high = high;
        _low = low;
    }

    /// <summary>A new cryptographically random transaction id (RFC 8489 §5 requires uniform randomness).</summary>
    /// <returns>The id.</returns>
    public static StunTransactionId NewRandom()
    {
        Span<byte> b = stackalloc byte[StunConstants.TransactionIdSize];
        RandomNumberGenerator.Fill(b);
        return Read(b);
    }

    /// <summary>Reads an id from 12 bytes.</summary>
    /// <param name="bytes">At least 12 bytes.</param>
    /// <returns>The id.</returns>
    public static StunTransactionId Read(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]));

    /// <summary>Writes the 12 bytes.</summary>
    /// <param name="destination">At least 12 bytes.</param>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], _low);
    }

    /// <inheritdoc/>
    public bool Equals(StunTransactionId other) => _high == other._high && _low == other._low;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is StunTransactionId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_high, _low);

    /// <summary>The id as 24 hex digits.</summary>
    public override string ToString() => $"{_high:x16}{_low:x8}";

    /// <summary>Equality.</summary>
    public static bool operator ==(StunTransactionId left, StunTransactionId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(StunTransactionId left, StunTransactionId right) => !left.Equals(right);
}
