using System.Buffers.Binary;
using System.Security.Cryptography;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// ChaCha20-Poly1305 record protection for TLS 1.2 (RFC 7905 §2): the 12-byte nonce is the fixed
/// IV from the key block XOR the left-padded 64-bit epoch ‖ sequence number; nothing is carried
/// in the record but ciphertext ‖ tag(16).
/// </summary>
internal sealed class ChaCha20Poly1305RecordCipher : DtlsRecordCipher
{
    private const int TagLength = 16;
    private const int IvLength = 12;

    private readonly ChaCha20Poly1305 _encrypt;
    private readonly ChaCha20Poly1305 _decrypt;
    private readonly byte[] _writeIv;
    private readonly byte[] _readIv;

    public ChaCha20Poly1305RecordCipher(ReadOnlySpan<byte> writeKey, ReadOnlySpan<byte> writeIv, ReadOnlySpan<byte> readKey, ReadOnlySpan<byte> readIv)
    {
        if (writeIv.Length != IvLength || readIv.Length != IvLength)
        {
            throw new ArgumentException("ChaCha20-Poly1305 in TLS 1.2 uses a 12-byte IV.");
        }

        _encrypt = new ChaCha20Poly1305(writeKey);
        _decrypt = new ChaCha20Poly1305(readKey);
        _writeIv = writeIv.ToArray();
        _readIv = readIv.ToArray();
    }

    /// <summary>True when the platform provides ChaCha20-Poly1305.</summary>
    public static bool IsSupported => ChaCha20Poly1305.IsSupported;

    public override int Overhead => TagLength;

    public override string Name => "CHACHA20-POLY1305";

    public override void Encrypt(ulong epochAndSequence, byte contentType, ushort version, ReadOnlySpan<byte> plaintext, Span<byte> fragment)
    {
        Span<byte> nonce = stackalloc byte[IvLength];
        MakeNonce(_writeIv, epochAndSequence, nonce);
        Span<byte> aad = stackalloc byte[13];
        WriteAdditionalData(aad, epochAndSequence, contentType, version, plaintext.Length);
        _encrypt.Encrypt(nonce, plaintext, fragment[..plaintext.Length], fragment.Slice(plaintext.Length, TagLength), aad);
    }

    public override bool TryDecrypt(ulong epochAndSequence, byte contentType, ushort version, ReadOnlySpan<byte> fragment, Span<byte> plaintext)
    {
        var length = fragment.Length - TagLength;
        if (length < 0 || plaintext.Length < length)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[IvLength];
        MakeNonce(_readIv, epochAndSequence, nonce);
        Span<byte> aad = stackalloc byte[13];
        WriteAdditionalData(aad, epochAndSequence, contentType, version, length);
        try
        {
            _decrypt.Decrypt(nonce, fragment[..length], fragment.Slice(length, TagLength), plaintext[..length], aad);
            return true;
        }
        catch (CryptographicException)
        {
            plaintext[..length].Clear();
            return false;
        }
    }

    public override void Dispose()
    {
        _encrypt.Dispose();
        _decrypt.Dispose();
    }

    private static void MakeNonce(byte[] iv, ulong epochAndSequence, Span<byte> nonce)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], epochAndSequence);
        for (var i = 0; i < IvLength; i++)
        {
            nonce[i] ^= iv[i];
        }
    }
}
