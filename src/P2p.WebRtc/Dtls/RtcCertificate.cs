using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto.Parameters;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// A self-signed ECDSA P-256 X.509 certificate and its private key: the DTLS identity of a peer
/// connection (RFC 8827 §6.5: WebRTC endpoints authenticate with self-signed certificates whose
/// fingerprints travel in the SDP). Immutable and thread-safe: generate one per peer connection or
/// one per process and share it.
/// </summary>
public sealed class RtcCertificate
{
    /// <summary>The default validity, like the browsers' generated certificates (30 days).</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(30);

    private readonly byte[] _der;
    private readonly ECDsa _signingKey;
    private readonly Lock _signing = new();

    private RtcCertificate(byte[] der, ECParameters key, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        _der = der;
        var privateKeyD = key.D!;
        _signingKey = ECDsa.Create(key);
        PrivateKey = new ECPrivateKeyParameters("EC", new BcBigInteger(1, privateKeyD), SecObjectIdentifiers.SecP256r1);
        NotBefore = notBefore;
        NotAfter = notAfter;
        Fingerprint = DtlsFingerprint.Compute(DtlsFingerprint.Sha256, der);
    }

    /// <summary>The certificate's SHA-256 fingerprint, for the local SDP's <c>a=fingerprint:sha-256 …</c>.</summary>
    public DtlsFingerprint Fingerprint { get; }

    /// <summary>The DER encoding of the certificate.</summary>
    public ReadOnlyMemory<byte> RawData => _der;

    /// <summary>Start of the validity period (one day before generation, to tolerate clock skew).</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>End of the validity period.</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>The private key in BouncyCastle form (the handshake signs with <see cref="SignHash"/>; benchmarks use this).</summary>
    internal ECPrivateKeyParameters PrivateKey { get; }

    /// <summary>Signs a handshake hash with the certificate's key (native ECDSA), DER-encoded as TLS wants it (RFC 8422 §5.4).</summary>
    /// <param name="hash">The hash of what is signed.</param>
    /// <returns>The DER-encoded signature.</returns>
    internal byte[] SignHash(byte[] hash)
    {
        lock (_signing)
        {
            return _signingKey.SignHash(hash, DSASignatureFormat.Rfc3279DerSequence);
        }
    }

    /// <summary>
    /// Generates a new self-signed ECDSA P-256 certificate (subject <c>CN=WebRTC</c>, SHA-256 with
    /// ECDSA signature, random 64-bit serial number).
    /// </summary>
    /// <param name="lifetime">How long it stays valid; default <see cref="DefaultLifetime"/>.</param>
    /// <param name="timeProvider">The clock; default the system clock.</param>
    /// <returns>The certificate.</returns>
    public static RtcCertificate Generate(TimeSpan? lifetime = null, TimeProvider? timeProvider = null)
    {
        var validFor = lifetime ?? DefaultLifetime;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(validFor, TimeSpan.Zero, nameof(lifetime));
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        // X.509 validity has a one-second resolution.
        now = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var notBefore = now - TimeSpan.FromDays(1);
        var notAfter = now + validFor;

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=WebRTC"), key, HashAlgorithmName.SHA256);
        Span<byte> serial = stackalloc byte[8];
        RandomNumberGenerator.Fill(serial);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01); // positive, and no leading zero byte in DER
        using var certificate = request.Create(
            request.SubjectName,
            X509SignatureGenerator.CreateForECDsa(key),
            notBefore,
            notAfter,
            serial);
        var parameters = key.ExportParameters(includePrivateParameters: true);
        try
        {
            return new RtcCertificate(certificate.RawData, parameters, notBefore, notAfter);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    /// <summary>Computes the certificate's fingerprint with another hash function.</summary>
    /// <param name="algorithm">A supported hash function name, e.g. <see cref="DtlsFingerprint.Sha256"/>.</param>
    /// <returns>The fingerprint.</returns>
    public DtlsFingerprint GetFingerprint(string algorithm) => DtlsFingerprint.Compute(algorithm, _der);

    /// <summary>True when the certificate is outside its validity period at <paramref name="now"/>.</summary>
    /// <param name="now">The time to check.</param>
    /// <returns>True when expired or not yet valid.</returns>
    public bool IsExpired(DateTimeOffset now) => now < NotBefore || now > NotAfter;

    /// <summary>The certificate (not the key) in PEM form, ending with a newline, e.g. for logging or for other tools.</summary>
    /// <returns>The PEM text.</returns>
    public string ExportCertificatePem() => PemEncoding.WriteString("CERTIFICATE", _der) + "\n";

    /// <summary>The DER bytes as an array (shared: callers must not modify it).</summary>
    internal byte[] GetDerUnsafe() => _der;
}
