using System.Security.Cryptography;
using P2p.WebRtc.Dtls;

namespace P2p.WebRtc.Tests.Dtls;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class DtlsFingerprintTests
{
    private const string Sha256Text =
        "sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3E:4B:65:A8:9A:67:13:B0:5A:9E:4F:DC";

    [Test]
    public void Parses_and_formats_the_sdp_attribute_value()
    {
        var fingerprint = DtlsFingerprint.Parse(Sha256Text);

        Assert.Multiple(() =>
        {
            Assert.That(fingerprint.Algorithm, Is.EqualTo("sha-256"));
            Assert.That(fingerprint.Value.Length, Is.EqualTo(32));
            Assert.That(fingerprint.Value.Span[0], Is.EqualTo(0x4A));
            Assert.That(fingerprint.Value.Span[31], Is.EqualTo(0xDC));
            Assert.That(fingerprint.IsSupported, Is.True);
            Assert.That(fingerprint.ToString(), Is.EqualTo(Sha256Text));
        });
    }

    [Test]
    public void Accepts_upper_case_algorithm_lower_case_hex_and_extra_white_space()
    {
        var fingerprint = DtlsFingerprint.Parse("  SHA-256 \t" + Sha256Text[8..].ToLowerInvariant() + " ");
        Assert.That(fingerprint, Is.EqualTo(DtlsFingerprint.Parse(Sha256Text)));
        Assert.That(fingerprint.ToString(), Is.EqualTo(Sha256Text), "formatting is canonical: lower-case name, upper-case hex");
    }

    [TestCase("")]
    [TestCase("sha-256")]
    [TestCase("sha-256 ")]
    [TestCase("sha-256 4A:AD:B9")]                      // too short for sha-256
    [TestCase("sha-256 4AAD:B9")]                       // missing colon
    [TestCase("sha-256 4A-AD-B9")]                      // wrong separator
    [TestCase("sha-256 4G:AD:B9")]                      // not hex
    [TestCase("sha-256 4A:AD:")]                        // trailing colon
    [TestCase("sha-256 +A:AD")]                         // sign
    public void Rejects_malformed_text(string text)
    {
        Assert.Multiple(() =>
        {
            Assert.That(DtlsFingerprint.TryParse(text, out var parsed), Is.False);
            Assert.That(parsed, Is.Null);
            Assert.That(() => DtlsFingerprint.Parse(text), Throws.InstanceOf<FormatException>());
        });
    }

    [Test]
    public void Unknown_hash_functions_parse_but_never_match()
    {
        var fingerprint = DtlsFingerprint.Parse("md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
        Assert.Multiple(() =>
        {
            Assert.That(fingerprint.IsSupported, Is.False);
            Assert.That(fingerprint.Matches([1, 2, 3]), Is.False);
            Assert.That(() => DtlsFingerprint.Compute("md5", [1, 2, 3]), Throws.InstanceOf<NotSupportedException>());
        });
    }

    [TestCase(DtlsFingerprint.Sha1, 20)]
    [TestCase(DtlsFingerprint.Sha256, 32)]
    [TestCase(DtlsFingerprint.Sha384, 48)]
    [TestCase(DtlsFingerprint.Sha512, 64)]
    public void Compute_hashes_the_der_and_round_trips_through_text(string algorithm, int length)
    {
        var der = RandomNumberGenerator.GetBytes(300);
        var fingerprint = DtlsFingerprint.Compute(algorithm, der);

        Assert.Multiple(() =>
        {
            Assert.That(fingerprint.Value.Length, Is.EqualTo(length));
            Assert.That(fingerprint.Matches(der), Is.True);
            Assert.That(fingerprint.Matches(der.AsSpan(1)), Is.False);
            Assert.That(DtlsFingerprint.Parse(fingerprint.ToString()), Is.EqualTo(fingerprint));
            Assert.That(fingerprint.ValueText, Does.Match("^([0-9A-F]{2}:)*[0-9A-F]{2}$"));
        });
    }

    [Test]
    public void Sha256_equals_the_platform_hash_of_the_certificate()
    {
        var der = RandomNumberGenerator.GetBytes(500);
        Assert.That(DtlsFingerprint.Compute("sha-256", der).Value.ToArray(), Is.EqualTo(SHA256.HashData(der)));
    }

    [Test]
    public void Equality_needs_the_same_algorithm_and_bytes()
    {
        var der = RandomNumberGenerator.GetBytes(100);
        var a = DtlsFingerprint.Compute("sha-256", der);
        var b = DtlsFingerprint.Parse(a.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(a == b, Is.True);
            Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
            Assert.That(a != DtlsFingerprint.Compute("sha-256", der.AsSpan(1)), Is.True);
            Assert.That(a.Equals(DtlsFingerprint.Compute("sha-512", der)), Is.False);
            Assert.That(a.Equals(null), Is.False);
        });
    }
}
