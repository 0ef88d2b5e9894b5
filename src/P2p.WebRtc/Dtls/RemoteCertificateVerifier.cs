using Org.BouncyCastle.Tls;
using BcCertificate = Org.BouncyCastle.Tls.Certificate;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// Checks the peer's certificate against the fingerprints from its SDP, during the handshake and
/// before any application data (RFC 8122 §5, RFC 5763 §5, RFC 8827 §6.5). BouncyCastle then checks
/// that the peer holds the certificate's key (ServerKeyExchange / CertificateVerify signatures).
/// </summary>
/// <remarks>
/// RFC 8122 §5: when fingerprints with several hash functions are given, the strongest hash
/// function we support is used, and the certificate must match at least one fingerprint computed
/// with it. Validity dates and issuers are irrelevant for self-signed WebRTC certificates.
/// </remarks>
internal sealed class RemoteCertificateVerifier
{
    private readonly DtlsFingerprint[] _expected;

    public RemoteCertificateVerifier(IReadOnlyList<DtlsFingerprint> expected)
    {
        var strongest = expected.Select(f => DtlsFingerprint.Strength(f.Algorithm)).DefaultIfEmpty(0).Max();
        if (strongest == 0)
        {
            throw new ArgumentException(
                "At least one remote fingerprint with a supported hash function (sha-256, sha-384, sha-512, sha-1) is required.",
                nameof(expected));
        }

        _expected = expected.Where(f => DtlsFingerprint.Strength(f.Algorithm) == strongest).ToArray();
    }

    /// <summary>Why verification failed, when it did.</summary>
    public DtlsHandshakeFailure? Failure { get; private set; }

    /// <summary>A message for people, when verification failed.</summary>
    public string? FailureMessage { get; private set; }

    /// <summary>The peer's end-entity certificate (DER), once verified.</summary>
    public byte[]? RemoteCertificate { get; private set; }

    /// <summary>Verifies the peer's certificate chain; throws a fatal alert when it must be refused.</summary>
    public void Verify(BcCertificate? certificate, bool peerIsClient)
    {
        if (certificate is null || certificate.IsEmpty)
        {
            Failure = DtlsHandshakeFailure.RemoteCertificateMissing;
            FailureMessage = $"The remote DTLS {(peerIsClient ? "client" : "server")} sent no certificate; WebRTC requires mutual authentication (RFC 8827 §6.5).";
            // RFC 5246 §7.4.6: a server that requires a client certificate may answer with handshake_failure.
            throw new TlsFatalAlert(AlertDescription.handshake_failure, FailureMessage);
        }

        var der = certificate.GetCertificateAt(0).GetEncoded();
        foreach (var fingerprint in _expected)
        {
            if (fingerprint.Matches(der))
            {
                RemoteCertificate = der;
                return;
            }
        }

        var actual = DtlsFingerprint.Compute(_expected[0].Algorithm, der);
        Failure = DtlsHandshakeFailure.RemoteFingerprintMismatch;
        FailureMessage = $"The remote certificate's fingerprint {actual} does not match the SDP fingerprint"
            + (_expected.Length == 1 ? $" {_expected[0]}." : $"s {string.Join(", ", _expected.Select(f => f.ToString()))}.");
        throw new TlsFatalAlert(AlertDescription.bad_certificate, FailureMessage);
    }
}
