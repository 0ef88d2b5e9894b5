using System.Security.Cryptography;
using P2p.WebRtc.Dtls;

namespace P2p.WebRtc.Tests.Dtls;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class DtlsRecordCipherTests
{
    private const ulong EpochOneSequence7 = (1UL << 48) | 7;

    public static IEnumerable<TestCaseData> Ciphers()
    {
        yield return new TestCaseData(16, 4).SetName("AES-128-GCM");
        yield return new TestCaseData(32, 4).SetName("AES-256-GCM");
        if (ChaCha20Poly1305.IsSupported)
        {
            yield return new TestCaseData(32, 12).SetName("CHACHA20-POLY1305");
        }
    }

    [TestCaseSource(nameof(Ciphers))]
    public void Seals_and_opens_a_record_and_rejects_any_change(int keyLength, int ivLength)
    {
        var (writer, reader) = Pair(keyLength, ivLength);
        using var _ = writer;
        using var __ = reader;
        var plaintext = RandomNumberGenerator.GetBytes(1200);
        var fragment = new byte[plaintext.Length + writer.Overhead];

        writer.Encrypt(EpochOneSequence7, 23, 0xFEFD, plaintext, fragment);

        var opened = new byte[plaintext.Length];
        Assert.Multiple(() =>
        {
            Assert.That(reader.TryDecrypt(EpochOneSequence7, 23, 0xFEFD, fragment, opened), Is.True);
            Assert.That(opened, Is.EqualTo(plaintext));
            Assert.That(fragment.AsSpan(writer.Overhead - 16, plaintext.Length).SequenceEqual(plaintext), Is.False, "encrypted");
            Assert.That(reader.TryDecrypt(EpochOneSequence7 + 1, 23, 0xFEFD, fragment, opened), Is.False, "other sequence number");
            Assert.That(reader.TryDecrypt(EpochOneSequence7, 22, 0xFEFD, fragment, opened), Is.False, "other content type");
            Assert.That(reader.TryDecrypt(EpochOneSequence7, 23, 0xFEFF, fragment, opened), Is.False, "other version");
            Assert.That(reader.TryDecrypt(EpochOneSequence7, 23, 0xFEFD, fragment.AsSpan(0, 10), opened), Is.False, "truncated");
            Assert.That(writer.TryDecrypt(EpochOneSequence7, 23, 0xFEFD, fragment, opened), Is.False, "the other direction's key");
        });
        for (var i = 0; i < fragment.Length; i += 97)
        {
            fragment[i] ^= 1;
            Assert.That(reader.TryDecrypt(EpochOneSequence7, 23, 0xFEFD, fragment, opened), Is.False, $"bit flipped at {i}");
            fragment[i] ^= 1;
        }
    }

    [Test]
    public void Aes_gcm_uses_the_rfc5288_nonce_and_the_tls12_additional_data()
    {
        // Independent computation with AesGcm: nonce = salt ‖ explicit nonce (epoch ‖ sequence),
        // additional data = epoch ‖ sequence ‖ type ‖ version ‖ plaintext length (RFC 5246 §6.2.3.3).
        var key = RandomNumberGenerator.GetBytes(16);
        var salt = RandomNumberGenerator.GetBytes(4);
        using var cipher = new AesGcmRecordCipher(key, salt, key, salt);
        var plaintext = "hello"u8.ToArray();
        var fragment = new byte[plaintext.Length + 24];
        cipher.Encrypt(EpochOneSequence7, 23, 0xFEFD, plaintext, fragment);

        byte[] explicitNonce = [0, 1, 0, 0, 0, 0, 0, 7];
        byte[] aad = [0, 1, 0, 0, 0, 0, 0, 7, 23, 0xFE, 0xFD, 0, 5];
        var expectedCiphertext = new byte[5];
        var expectedTag = new byte[16];
        using var reference = new AesGcm(key, 16);
        reference.Encrypt(salt.Concat(explicitNonce).ToArray(), plaintext, expectedCiphertext, expectedTag, aad);

        Assert.That(fragment, Is.EqualTo(explicitNonce.Concat(expectedCiphertext).Concat(expectedTag).ToArray()));
    }

    private static (DtlsRecordCipher Writer, DtlsRecordCipher Reader) Pair(int keyLength, int ivLength)
    {
        var keyA = RandomNumberGenerator.GetBytes(keyLength);
        var keyB = RandomNumberGenerator.GetBytes(keyLength);
        var ivA = RandomNumberGenerator.GetBytes(ivLength);
        var ivB = RandomNumberGenerator.GetBytes(ivLength);
        return ivLength == 12
            ? (new ChaCha20Poly1305RecordCipher(keyA, ivA, keyB, ivB), new ChaCha20Poly1305RecordCipher(keyB, ivB, keyA, ivA))
            : (new AesGcmRecordCipher(keyA, ivA, keyB, ivB), new AesGcmRecordCipher(keyB, ivB, keyA, ivA));
    }
}
