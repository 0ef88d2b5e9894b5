using System.Security.Cryptography;

namespace P2p.Core.Identity;

/// <summary>
/// A member's long-term identity key: an ECDSA P-256 key pair (the curve browsers' WebCrypto supports). When a
/// connection to another member opens, this member signs a transcript bound to both DTLS fingerprints, the group id
/// and both member ids with it (docs/protocol.md, "Identity (extension)").
/// </summary>
/// <remarks>Keep the private key secret: whoever holds it can be this member to every peer that trusts its <see cref="KeyId"/>.</remarks>
public sealed class IdentityKey : IDisposable
{
    private readonly ECDsa _key;

    private IdentityKey(ECDsa key)
    {
        _key = key;
        var publicKey = key.ExportSubjectPublicKeyInfo();
        PublicKey = publicKey;
        KeyId = ComputeKeyId(publicKey);
    }

    /// <summary>The public key as SubjectPublicKeyInfo DER (what WebCrypto's <c>exportKey("spki")</c> returns).</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The key id: lowercase hex of SHA-256 over <see cref="PublicKey"/> (64 characters). What apps pin and show.</summary>
    public string KeyId { get; }

    /// <summary>Creates a new random P-256 key.</summary>
    /// <returns>The new key.</returns>
    public static IdentityKey Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Imports a private key in PKCS#8 DER form (as <see cref="ExportPkcs8"/> writes it).</summary>
    /// <param name="pkcs8">The PKCS#8 PrivateKeyInfo bytes.</param>
    /// <returns>The key.</returns>
    /// <exception cref="CryptographicException">The bytes are not a PKCS#8 P-256 ECDSA private key.</exception>
    public static IdentityKey ImportPkcs8(ReadOnlySpan<byte> pkcs8)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            return FromOwned(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Copies a P-256 private key from an <see cref="ECDsa"/> (the caller keeps and disposes its instance).</summary>
    /// <param name="key">A P-256 key with its private part.</param>
    /// <returns>The key.</returns>
    /// <exception cref="CryptographicException">The key is not a P-256 private key.</exception>
    public static IdentityKey FromECDsa(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var copy = ECDsa.Create();
        try
        {
            copy.ImportParameters(key.ExportParameters(includePrivateParameters: true));
            return FromOwned(copy);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>Exports the private key as PKCS#8 DER, to store it (protect the bytes: they are the secret key).</summary>
    /// <returns>The PKCS#8 PrivateKeyInfo bytes.</returns>
    public byte[] ExportPkcs8() => _key.ExportPkcs8PrivateKey();

    /// <summary>Computes the key id of a SubjectPublicKeyInfo: lowercase hex of its SHA-256.</summary>
    /// <param name="subjectPublicKeyInfo">The public key's SPKI DER bytes.</param>
    /// <returns>64 lowercase hex characters.</returns>
    public static string ComputeKeyId(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));

    /// <summary>Releases the key.</summary>
    public void Dispose() => _key.Dispose();

    /// <summary>Signs a SHA-256 digest: ECDSA P-256, IEEE P1363 form (the same signature as <see cref="Sign"/> over the hashed data).</summary>
    internal byte[] SignHash(ReadOnlySpan<byte> sha256) =>
        _key.SignHash(sha256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>Signs <paramref name="data"/>: ECDSA P-256 with SHA-256, IEEE P1363 form (r||s, 64 bytes).</summary>
    internal byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    internal static bool IsP256(ECDsa key)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        return curve.IsNamed && (curve.Oid.Value == ECCurve.NamedCurves.nistP256.Oid.Value || curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256" or "secp256r1");
    }

    private static IdentityKey FromOwned(ECDsa key)
    {
        if (!IsP256(key))
        {
            throw new CryptographicException("An identity key must be an ECDSA P-256 key.");
        }

        return new IdentityKey(key);
    }
}
