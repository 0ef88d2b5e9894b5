using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using P2p.WebRtc.Dtls;

namespace P2p.WebRtc.Tests.Dtls;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class RtcCertificateTests
{
    [Test]
    public void Generates_a_self_signed_ecdsa_p256_certificate()
    {
        var certificate = RtcCertificate.Generate();
        using var x509 = X509CertificateLoader.LoadCertificate(certificate.RawData.Span);
        using var publicKey = x509.GetECDsaPublicKey();

        Assert.Multiple(() =>
        {
            Assert.That(publicKey, Is.Not.Null);
            Assert.That(publicKey!.KeySize, Is.EqualTo(256));
            Assert.That(publicKey.ExportParameters(false).Curve.Oid.Value, Is.EqualTo("1.2.840.10045.3.1.7"), "P-256");
            Assert.That(x509.SignatureAlgorithm.Value, Is.EqualTo("1.2.840.10045.4.3.2"), "ecdsa-with-SHA256");
            Assert.That(x509.Subject, Is.EqualTo("CN=WebRTC"));
            Assert.That(x509.Issuer, Is.EqualTo(x509.Subject));
            Assert.That(x509.SerialNumberBytes.Length, Is.EqualTo(8));
        });

        // Self-signed: the certificate's own key verifies its signature.
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(x509);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
        Assert.That(chain.Build(x509), Is.True, string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Test]
    public void Validity_starts_a_day_early_and_lasts_the_requested_time()
    {
        var now = new DateTimeOffset(2030, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var certificate = RtcCertificate.Generate(TimeSpan.FromDays(2), new FixedTime(now));
        using var x509 = X509CertificateLoader.LoadCertificate(certificate.RawData.Span);

        Assert.Multiple(() =>
        {
            Assert.That(certificate.NotBefore, Is.EqualTo(now.AddDays(-1)));
            Assert.That(certificate.NotAfter, Is.EqualTo(now.AddDays(2)));
            Assert.That(new DateTimeOffset(x509.NotBefore.ToUniversalTime()), Is.EqualTo(certificate.NotBefore));
            Assert.That(new DateTimeOffset(x509.NotAfter.ToUniversalTime()), Is.EqualTo(certificate.NotAfter));
            Assert.That(certificate.IsExpired(now), Is.False);
            Assert.That(certificate.IsExpired(now.AddDays(3)), Is.True);
            Assert.That(() => RtcCertificate.Generate(TimeSpan.Zero), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public void Fingerprint_is_the_sha256_of_the_der_in_sdp_form()
    {
        var certificate = RtcCertificate.Generate();
        Assert.Multiple(() =>
        {
            Assert.That(certificate.Fingerprint.Algorithm, Is.EqualTo("sha-256"));
            Assert.That(certificate.Fingerprint.Value.ToArray(), Is.EqualTo(SHA256.HashData(certificate.RawData.Span)));
            Assert.That(certificate.Fingerprint.ToString(), Does.Match("^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$"));
            Assert.That(certificate.GetFingerprint("sha-512").Matches(certificate.RawData.Span), Is.True);
        });
    }

    [Test]
    public void Each_generation_is_a_new_key_and_certificate()
    {
        var a = RtcCertificate.Generate();
        var b = RtcCertificate.Generate();
        Assert.That(a.Fingerprint, Is.Not.EqualTo(b.Fingerprint));
    }

    [Test]
    public void Pem_export_round_trips()
    {
        var certificate = RtcCertificate.Generate();
        var pem = certificate.ExportCertificatePem();
        using var x509 = X509Certificate2.CreateFromPem(pem);
        Assert.Multiple(() =>
        {
            Assert.That(pem, Does.StartWith("-----BEGIN CERTIFICATE-----").And.EndWith("-----END CERTIFICATE-----\n"));
            Assert.That(x509.RawData, Is.EqualTo(certificate.RawData.ToArray()));
        });
    }

    [Test]
    public void Twenty_generations_give_twenty_distinct_certificates()
    {
        // No timing assertion here (bench/ measures generation time): 20 generations must work and differ.
        var stopwatch = Stopwatch.StartNew();
        var fingerprints = Enumerable.Range(0, 20).Select(_ => RtcCertificate.Generate().Fingerprint).ToHashSet();
        TestContext.Out.WriteLine($"20 certificates in {stopwatch.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.That(fingerprints, Has.Count.EqualTo(20));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
