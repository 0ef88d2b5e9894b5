using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Tls;
using TlsHash = Org.BouncyCastle.Tls.HashAlgorithm;
using P2p.WebRtc.Dtls;

namespace P2p.WebRtc.Tests.Dtls;

/// <summary>The handshake's ECDSA signatures made and checked by the platform (native) instead of BouncyCastle.</summary>
public class SystemEcdsaTests
{
    private static readonly SignatureAndHashAlgorithm EcdsaSha256 = new(TlsHash.sha256, SignatureAlgorithm.ecdsa);

    [Test]
    public void A_signature_made_with_the_certificate_key_verifies_with_its_public_key_and_any_change_is_refused()
    {
        var certificate = RtcCertificate.Generate();
        var hash = SHA256.HashData("the handshake so far"u8);
        var signature = new SystemEcdsaSigner(certificate).GenerateRawSignature(EcdsaSha256, hash);
        using var x509 = X509CertificateLoader.LoadCertificate(certificate.RawData.Span);
        var verifier = new SystemEcdsaVerifier(x509.PublicKey.ExportSubjectPublicKeyInfo());

        Assert.Multiple(() =>
        {
            Assert.That(signature[0], Is.EqualTo(0x30), "DER SEQUENCE (RFC 8422 §5.4)");
            Assert.That(verifier.VerifyRawSignature(new DigitallySigned(EcdsaSha256, signature), hash), Is.True);

            var otherHash = SHA256.HashData("another handshake"u8);
            Assert.That(verifier.VerifyRawSignature(new DigitallySigned(EcdsaSha256, signature), otherHash), Is.False, "another transcript");

            var tampered = (byte[])signature.Clone();
            tampered[^1] ^= 1;
            Assert.That(verifier.VerifyRawSignature(new DigitallySigned(EcdsaSha256, tampered), hash), Is.False, "a changed signature");
            Assert.That(verifier.VerifyRawSignature(new DigitallySigned(EcdsaSha256, [0x30, 0x02, 0x01]), hash), Is.False, "malformed DER");
            Assert.That(
                verifier.VerifyRawSignature(new DigitallySigned(new SignatureAndHashAlgorithm(TlsHash.sha256, SignatureAlgorithm.rsa), signature), hash),
                Is.False,
                "not an ECDSA signature");

            var stranger = RtcCertificate.Generate();
            using var strangerX509 = X509CertificateLoader.LoadCertificate(stranger.RawData.Span);
            Assert.That(
                new SystemEcdsaVerifier(strangerX509.PublicKey.ExportSubjectPublicKeyInfo()).VerifyRawSignature(new DigitallySigned(EcdsaSha256, signature), hash),
                Is.False,
                "another key");
        });
    }

    [Test]
    public void The_signer_refuses_an_algorithm_other_than_ecdsa()
    {
        var signer = new SystemEcdsaSigner(RtcCertificate.Generate());
        Assert.That(
            () => signer.GenerateRawSignature(new SignatureAndHashAlgorithm(TlsHash.sha256, SignatureAlgorithm.rsa), new byte[32]),
            Throws.InstanceOf<TlsFatalAlert>());
    }
}
