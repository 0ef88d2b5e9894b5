using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using P2p.Core.Identity;

namespace P2p.Core.Tests.Identity;

/// <summary>The identity handshake's bytes: SDP fingerprints, keys, the Identity frame, the transcript, verification, policies.</summary>
public class IdentityHandshakeTests
{
    private const string FpA = "sha-256 AA:BB:CC";
    private const string FpB = "sha-256 11:22:33";

    [TestCase("v=0\r\na=fingerprint:sha-256 ab:cd:ef\r\n", "sha-256 AB:CD:EF", TestName = "lowercase value is uppercased")]
    [TestCase("v=0\na=fingerprint:SHA-256 AB:CD\na=fingerprint:sha-1 00:11\n", "sha-256 AB:CD", TestName = "the first line wins and the algorithm is lowercased")]
    [TestCase("a=setup:actpass\r\nm=application 9\r\n  a=fingerprint:sha-384   0A:0B  \r\n", "sha-384 0A:0B", TestName = "whitespace is trimmed")]
    [TestCase("v=0\r\na=fingerprint:sha-256\r\n", null, TestName = "no value")]
    [TestCase("v=0\r\na=fingerprint:sha-256 AA BB\r\n", null, TestName = "two values")]
    [TestCase("v=0\r\na=setup:active\r\n", null, TestName = "no fingerprint line")]
    [TestCase("", null, TestName = "empty sdp")]
    public void The_fingerprint_parser_reads_the_first_fingerprint_line(string sdp, string? expected) =>
        Assert.That(SdpFingerprint.TryExtract(sdp), Is.EqualTo(expected));

    [Test]
    public void The_transcript_has_the_documented_lines_without_a_trailing_newline()
    {
        var transcript = Encoding.UTF8.GetString(IdentityHandshake.Transcript("g1", "alice", "u1", "u2", FpA, FpB));
        Assert.That(transcript, Is.EqualTo("p2p-identity-v1\ngroup:g1\nname:alice\nsigner:u1\npeer:u2\nsigner-fingerprint:sha-256 AA:BB:CC\npeer-fingerprint:sha-256 11:22:33"));
    }

    [Test]
    public void A_key_survives_a_pkcs8_round_trip_and_its_id_is_the_sha256_of_its_spki()
    {
        using var key = IdentityKey.Create();
        using var copy = IdentityKey.ImportPkcs8(key.ExportPkcs8());
        Assert.That(copy.KeyId, Is.EqualTo(key.KeyId));
        Assert.That(key.KeyId, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(key.PublicKey.Span))));
        Assert.That(key.KeyId, Has.Length.EqualTo(64));

        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var fromEcdsa = IdentityKey.FromECDsa(ecdsa);
        Assert.That(fromEcdsa.PublicKey.ToArray(), Is.EqualTo(ecdsa.ExportSubjectPublicKeyInfo()));
    }

    [Test]
    public void A_key_on_another_curve_is_refused()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<CryptographicException>(() => IdentityKey.FromECDsa(p384));
        Assert.Throws<CryptographicException>(() => IdentityKey.ImportPkcs8(p384.ExportPkcs8PrivateKey()));
    }

    [Test]
    public void A_frame_verifies_with_the_receivers_mirrored_view()
    {
        using var key = IdentityKey.Create();
        var frame = IdentityHandshake.CreateFrame(key, "alice", "g1", "u1", "u2", FpA, FpB);
        Assert.That(frame[0], Is.EqualTo(0x15));
        Assert.That(frame[1], Is.EqualTo(0x01));
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(2)), Is.Zero);
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(6)), Is.EqualTo(frame.Length - 10));

        var identity = IdentityHandshake.Verify(frame, "g1", "u1", "u2", FpA, FpB, out _, out var problem);
        Assert.That(identity, Is.Not.Null, problem);
        Assert.That(identity!.Name, Is.EqualTo("alice"));
        Assert.That(identity.KeyId, Is.EqualTo(key.KeyId));
    }

    [TestCase("g2", "u1", "u2", FpA, FpB, TestName = "another group")]
    [TestCase("g1", "u3", "u2", FpA, FpB, TestName = "a false signer id")]
    [TestCase("g1", "u1", "u3", FpA, FpB, TestName = "another receiver")]
    [TestCase("g1", "u1", "u2", "sha-256 EE:EE:EE", FpB, TestName = "a swapped signer fingerprint")]
    [TestCase("g1", "u1", "u2", FpA, "sha-256 EE:EE:EE", TestName = "a swapped receiver fingerprint")]
    public void A_frame_does_not_verify_in_another_context(string group, string signer, string receiver, string signerFp, string receiverFp)
    {
        using var key = IdentityKey.Create();
        var frame = IdentityHandshake.CreateFrame(key, "alice", "g1", "u1", "u2", FpA, FpB);
        Assert.That(IdentityHandshake.Verify(frame, group, signer, receiver, signerFp, receiverFp, out var reason, out _), Is.Null);
        Assert.That(reason, Is.EqualTo(IdentityFailureReason.BadSignature));
    }

    public static IEnumerable<TestCaseData> MalformedFrames()
    {
        using var key = IdentityKey.Create();
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var good = IdentityHandshake.CreateFrame(key, "alice", "g1", "u1", "u2", FpA, FpB);
        var name = Encoding.UTF8.GetBytes("alice");
        var signature = new byte[64];
        yield return new TestCaseData(good[..9]).SetName("a truncated header");
        yield return new TestCaseData(good[..^1]).SetName("a truncated payload");
        yield return new TestCaseData(WithLength(good.Concat(new byte[] { 0 }).ToArray())).SetName("a trailing byte");
        yield return new TestCaseData(Patched(good, 10, 2)).SetName("payload version 2");
        yield return new TestCaseData(Patched(good, 1, 0)).SetName("not final");
        yield return new TestCaseData(Patched(good, 5, 1)).SetName("message id 1");
        yield return new TestCaseData(Patched(good, 9, (byte)(good[9] + 1))).SetName("a wrong total length");
        yield return new TestCaseData(IdentityHandshake.EncodeFrame(name, p384.ExportSubjectPublicKeyInfo(), new byte[96])).SetName("a P-384 key");
        yield return new TestCaseData(IdentityHandshake.EncodeFrame(name, new byte[] { 1, 2, 3 }, signature)).SetName("a key that is not SPKI");
        yield return new TestCaseData(IdentityHandshake.EncodeFrame(name, key.PublicKey.Span, new byte[63])).SetName("a 63-byte signature");
        yield return new TestCaseData(IdentityHandshake.EncodeFrame(new byte[257], key.PublicKey.Span, signature)).SetName("a 257-byte name");
        yield return new TestCaseData(IdentityHandshake.EncodeFrame(new byte[] { 0xff, 0xfe }, key.PublicKey.Span, signature)).SetName("a name that is not UTF-8");
    }

    [TestCaseSource(nameof(MalformedFrames))]
    public void A_malformed_frame_is_reported_as_malformed(byte[] frame)
    {
        Assert.That(IdentityHandshake.Verify(frame, "g1", "u1", "u2", FpA, FpB, out var reason, out var problem), Is.Null);
        Assert.That(reason, Is.EqualTo(IdentityFailureReason.Malformed), problem);
    }

#pragma warning disable NUnit1027 // FsCheck supplies the arguments
    [FsCheck.NUnit.Property(MaxTest = 300)]
    public bool Random_bytes_after_an_identity_header_never_throw_and_never_verify(byte[] payload, bool versionOne)
    {
        payload ??= [];
        if (versionOne && payload.Length > 0)
        {
            payload[0] = 1;
        }

        var frame = new byte[10 + payload.Length];
        frame[0] = 0x15;
        frame[1] = 0x01;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(6), (uint)payload.Length);
        payload.CopyTo(frame, 10);
        return IdentityHandshake.Verify(frame, "g1", "u1", "u2", FpA, FpB, out _, out _) is null;
    }
#pragma warning restore NUnit1027

    [Test]
    public async Task Pinned_keys_accept_only_the_pinned_key_for_a_known_name()
    {
        var policy = IdentityTrustPolicies.Pinned(new Dictionary<string, string> { ["alice"] = "AB" + new string('0', 62) });
        Assert.That(await policy.IsTrustedAsync(Context("alice", "ab" + new string('0', 62)), CancellationToken.None), Is.True);
        Assert.That(await policy.IsTrustedAsync(Context("alice", new string('1', 64)), CancellationToken.None), Is.False);
        Assert.That(await policy.IsTrustedAsync(Context("bob", "ab" + new string('0', 62)), CancellationToken.None), Is.False);
    }

    [Test]
    public async Task A_json_file_store_remembers_the_first_key_across_instances()
    {
        var path = Path.Combine(Path.GetTempPath(), $"p2p-tofu-{Guid.NewGuid():N}.json");
        try
        {
            var first = IdentityTrustPolicies.TrustOnFirstUse(new JsonFileTrustStore(path));
            Assert.That(await first.IsTrustedAsync(Context("alice", new string('a', 64)), CancellationToken.None), Is.True);
            Assert.That(await first.IsTrustedAsync(Context("bob", new string('b', 64)), CancellationToken.None), Is.True);

            var store = new JsonFileTrustStore(path);
            var later = IdentityTrustPolicies.TrustOnFirstUse(store);
            Assert.That(await later.IsTrustedAsync(Context("alice", new string('a', 64)), CancellationToken.None), Is.True);
            Assert.That(await later.IsTrustedAsync(Context("alice", new string('c', 64)), CancellationToken.None), Is.False);
            Assert.That(await store.GetAsync("bob", CancellationToken.None), Is.EqualTo(new string('b', 64)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static IdentityTrustContext Context(string name, string keyId) => new("g1", "u1", name, keyId, Array.Empty<byte>());

    private static byte[] Patched(byte[] frame, int index, byte value)
    {
        var copy = (byte[])frame.Clone();
        copy[index] = value;
        return copy;
    }

    private static byte[] WithLength(byte[] frame)
    {
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(6), (uint)(frame.Length - 10));
        return frame;
    }
}
