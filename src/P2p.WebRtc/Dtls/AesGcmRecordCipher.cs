using System.Buffers.Binary;
using System.Security.Cryptography;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// AES-GCM record protection for TLS 1.2 (RFC 5288 §3): a 4-byte implicit salt from the key block
/// and an 8-byte explicit nonce carried at the start of each record fragment; we use the record's
/// epoch ‖ sequence number as the explicit nonce (RFC 5288 §3 allows the sequence number), which is
/// unique per key. Fragment = nonce_explicit(8) ‖ ciphertext ‖ tag(16).
/// </summary>
internal sealed class AesGcmRecordCipher : DtlsRecordCipher
{
    private const int ExplicitNonceLength = 8;
    private const int TagLength = 16;
    private const int SaltLength = 4;

    private readonly AesGcm _encrypt;
    private readonly AesGcm _decrypt;
    private readonly byte[] _writeSalt;
    private readonly byte[] _readSalt;

    public AesGcmRecordCipher(ReadOnlySpan<byte> writeKey, ReadOnlySpan<byte> writeSalt, ReadOnlySpan<byte> readKey, ReadOnlySpan<byte> readSalt)
    {
        if (writeSalt.Length != SaltLength || readSalt.Length != SaltLength)
        {
            throw new ArgumentException("AES-GCM in TLS 1.2 uses a 4-byte implicit nonce.");
        }

        _encrypt = new AesGcm(writeKey, TagLength);
        _decrypt = new AesGcm(readKey, TagLength);
        _writeSalt = writeSalt.ToArray();
        _readSalt = readSalt.ToArray();
        Name = $"AES-{writeKey.Length * 8}-GCM";
    }

    public override int Overhead => ExplicitNonceLength + TagLength;

    public override string Name { get; }

    public override void Encrypt(ulong epochAndSequence, byte contentType, ushort version, ReadOnlySpan<byte> plaintext, Span<byte> fragment)
    {
        Span<byte> nonce = stackalloc byte[12];
        _writeSalt.CopyTo(nonce);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[SaltLength..], epochAndSequence);
        Span<byte> aad = stackalloc byte[13];
        WriteAdditionalData(aad, epochAndSequence, contentType, version, plaintext.Length);

        nonce[SaltLength..].CopyTo(fragment);
        var ciphertext = fragment.Slice(ExplicitNonceLength, plaintext.Length);
        var tag = fragment.Slice(ExplicitNonceLength + plaintext.Length, TagLength);
        _encrypt.Encrypt(nonce, plaintext, ciphertext, tag, aad);
    }

    public override bool TryDecrypt(ulong epochAndSequence, byte contentType, ushort version, ReadOnlySpan<byte> fragment, Span<byte> plaintext)
    {
        var length = fragment.Length - Overhead;
        if (length < 0 || plaintext.Length < length)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[12];
        _readSalt.CopyTo(nonce);
        fragment[..ExplicitNonceLength].CopyTo(nonce[SaltLength..]);
        Span<byte> aad = stackalloc byte[13];
        WriteAdditionalData(aad, epochAndSequence, contentType, version, length);
        try
        {
            _decrypt.Decrypt(
                nonce,
                fragment.Slice(ExplicitNonceLength, length),
                fragment.Slice(ExplicitNonceLength + length, TagLength),
                plaintext[..length],
                aad);
            return true;
        }
        catch (CryptographicException)
        {
            // AuthenticationTagMismatchException derives from CryptographicException.
            plaintext[..length].Clear();
            return false;
        }
    }

    public override void Dispose()
    {
        _encrypt.Dispose();
        _decrypt.Dispose();
    }
}
