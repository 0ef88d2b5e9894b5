using System.Security.Cryptography;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// BouncyCastle's TLS crypto with two changes: the record ciphers (AES-GCM, ChaCha20-Poly1305) come
/// from System.Security.Cryptography through <see cref="DtlsRecordCipher"/>, and the cipher made
/// for the connection is kept so the record layer can be taken over after the handshake; and the
/// peer's ECDSA signatures are verified natively (<see cref="SystemEcdsaTlsCertificate"/>; ours are
/// made natively by <see cref="SystemEcdsaSigner"/>). Key exchange and the PRF stay BouncyCastle's.
/// One instance per connection.
/// </summary>
internal sealed class RtcTlsCrypto : BcTlsCrypto
{
    public RtcTlsCrypto(bool useSystemRecordCipher = true)
        : base(new SecureRandom())
    {
        UseSystemRecordCipher = useSystemRecordCipher;
    }

    /// <summary>False only for benchmarks that measure BouncyCastle's own record ciphers.</summary>
    public bool UseSystemRecordCipher { get; }

    /// <summary>The connection's record cipher, once the handshake derived its keys.</summary>
    public BcRecordCipherAdapter? CreatedCipher { get; private set; }

    /// <summary>The cipher BouncyCastle made when <see cref="UseSystemRecordCipher"/> is false (benchmarks).</summary>
    public TlsCipher? CreatedBcCipher { get; private set; }

    /// <summary>X.509 certificates whose ECDSA signatures the platform verifies (<see cref="SystemEcdsaTlsCertificate"/>).</summary>
    public override TlsCertificate CreateCertificate(short type, byte[] encoding) =>
        type == CertificateType.X509 ? new SystemEcdsaTlsCertificate(this, encoding) : base.CreateCertificate(type, encoding);

    public override TlsCipher CreateCipher(TlsCryptoParameters cryptoParams, int encryptionAlgorithm, int macAlgorithm)
    {
        if (!UseSystemRecordCipher)
        {
            var bc = base.CreateCipher(cryptoParams, encryptionAlgorithm, macAlgorithm);
            CreatedBcCipher = bc;
            return bc;
        }

        var (keyLength, ivLength) = encryptionAlgorithm switch
        {
            EncryptionAlgorithm.AES_128_GCM => (16, 4),
            EncryptionAlgorithm.AES_256_GCM => (32, 4),
            EncryptionAlgorithm.CHACHA20_POLY1305 => (32, 12),
            _ => throw new TlsFatalAlert(AlertDescription.internal_error, "Cipher not offered by this stack."),
        };

        // RFC 5246 §6.3: key_block = client_write_key ‖ server_write_key ‖ client_write_IV ‖ server_write_IV
        // (AEAD suites have no MAC keys).
        Span<byte> keyBlock = stackalloc byte[(2 * keyLength) + (2 * ivLength)];
        try
        {
            TlsImplUtilities.CalculateKeyBlock(cryptoParams, keyBlock);
            // Offsets of the client and server halves; we write with our side's keys.
            var isServer = cryptoParams.IsServer;
            int clientKey = 0, serverKey = keyLength, clientIv = 2 * keyLength, serverIv = (2 * keyLength) + ivLength;
            var writeKey = keyBlock.Slice(isServer ? serverKey : clientKey, keyLength);
            var readKey = keyBlock.Slice(isServer ? clientKey : serverKey, keyLength);
            var writeIv = keyBlock.Slice(isServer ? serverIv : clientIv, ivLength);
            var readIv = keyBlock.Slice(isServer ? clientIv : serverIv, ivLength);

            DtlsRecordCipher cipher = encryptionAlgorithm == EncryptionAlgorithm.CHACHA20_POLY1305
                ? new ChaCha20Poly1305RecordCipher(writeKey, writeIv, readKey, readIv)
                : new AesGcmRecordCipher(writeKey, writeIv, readKey, readIv);
            CreatedCipher?.Cipher.Dispose();
            CreatedCipher = new BcRecordCipherAdapter(cipher);
            return CreatedCipher;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyBlock);
        }
    }

    public override bool HasEncryptionAlgorithm(int encryptionAlgorithm) =>
        encryptionAlgorithm switch
        {
            EncryptionAlgorithm.AES_128_GCM or EncryptionAlgorithm.AES_256_GCM => true,
            EncryptionAlgorithm.CHACHA20_POLY1305 => !UseSystemRecordCipher || ChaCha20Poly1305RecordCipher.IsSupported,
            _ => !UseSystemRecordCipher && base.HasEncryptionAlgorithm(encryptionAlgorithm),
        };
}
