using System.Buffers.Binary;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// AEAD protection of DTLS 1.2 records for one connection (both directions), over
/// System.Security.Cryptography (AES-NI / OpenSSL), with no allocation per record. Used by the
/// handshake (through <see cref="BcRecordCipherAdapter"/>, for the Finished messages) and by
/// <see cref="DtlsRecordLayer"/> afterwards.
/// </summary>
/// <remarks>
/// RFC 5246 §6.2.3.3: additional_data = seq_num (epoch ‖ sequence_number in DTLS, RFC 6347 §4.1.2.1)
/// ‖ type ‖ version ‖ length, where length is the plaintext length. Encryption is not thread-safe
/// (the record layer serialises writers); decryption runs on one receive thread at a time.
/// </remarks>
internal abstract class DtlsRecordCipher : IDisposable
{
    /// <summary>Bytes the cipher adds to a plaintext fragment (explicit nonce and tag).</summary>
    public abstract int Overhead { get; }

    /// <summary>A display name, e.g. AES-128-GCM.</summary>
    public abstract string Name { get; }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="fragment"/> (exactly plaintext length + <see cref="Overhead"/> bytes).</summary>
    public abstract void Encrypt(ulong epochAndSequence, byte contentType, ushort version, ReadOnlySpan<byte> plaintext, Span<byte> fragment);

    /// <summary>
    /// Authenticates and decrypts <paramref name="fragment"/> into <paramref name="plaintext"/>
    /// (fragment length − <see cref="Overhead"/> bytes). False when the record is too short or does
    /// not authenticate.
    /// </summary>
    public abstract bool TryDecrypt(ulong epochAndSequence, byte contentType, ushort version, ReadOnlySpan<byte> fragment, Span<byte> plaintext);

    /// <inheritdoc />
    public abstract void Dispose();

    /// <summary>Writes the 13-byte additional data of RFC 5246 §6.2.3.3.</summary>
    protected static void WriteAdditionalData(Span<byte> aad, ulong epochAndSequence, byte contentType, ushort version, int plaintextLength)
    {
        BinaryPrimitives.WriteUInt64BigEndian(aad, epochAndSequence);
        aad[8] = contentType;
        BinaryPrimitives.WriteUInt16BigEndian(aad[9..], version);
        BinaryPrimitives.WriteUInt16BigEndian(aad[11..], (ushort)plaintextLength);
    }
}
