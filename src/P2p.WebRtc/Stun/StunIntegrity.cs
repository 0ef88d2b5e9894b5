using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace P2p.WebRtc.Stun;

/// <summary>The MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT computations (RFC 8489 §14.5–§14.7), allocation-free.</summary>
internal static class StunIntegrity
{
    /// <summary>
    /// HMAC over <paramref name="message"/>[0..<paramref name="attributeOffset"/>) with the header's
    /// length field replaced by <paramref name="adjustedLength"/> (the length up to and including the
    /// integrity attribute, as RFC 8489 §14.5 requires).
    /// </summary>
    public static void ComputeHmac(ReadOnlySpan<byte> message, int attributeOffset, int adjustedLength, ReadOnlySpan<byte> key, bool sha256, Span<byte> mac)
    {
        byte[]? rented = null;
        Span<byte> copy = attributeOffset <= 1024 ? stackalloc byte[attributeOffset] : (rented = ArrayPool<byte>.Shared.Rent(attributeOffset)).AsSpan(0, attributeOffset);
        try
        {
            message[..attributeOffset].CopyTo(copy);
            BinaryPrimitives.WriteUInt16BigEndian(copy[2..], (ushort)adjustedLength);
            if (sha256)
            {
                HMACSHA256.HashData(key, copy, mac);
            }
            else
            {
#pragma warning disable CA5350 // HMAC-SHA1 is what RFC 8489 §14.5 MESSAGE-INTEGRITY is.
                HMACSHA1.HashData(key, copy, mac);
#pragma warning restore CA5350
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>CRC-32 of the message up to the FINGERPRINT attribute, XOR 0x5354554e (RFC 8489 §14.7).</summary>
    /// <param name="messageUpToFingerprint">The message bytes before the FINGERPRINT attribute, with a header length that already counts it.</param>
    public static uint Fingerprint(ReadOnlySpan<byte> messageUpToFingerprint) =>
        Crc32.HashToUInt32(messageUpToFingerprint) ^ StunConstants.FingerprintXor;
}
