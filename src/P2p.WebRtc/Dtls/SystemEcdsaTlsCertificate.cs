using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// A peer's certificate as BouncyCastle's TLS code sees it, except that ECDSA signatures made with its key are verified
/// by <see cref="SystemEcdsaVerifier"/> (the platform's native ECDSA) instead of BouncyCastle's managed arithmetic.
/// </summary>
internal sealed class SystemEcdsaTlsCertificate(BcTlsCrypto crypto, byte[] encoding) : BcTlsCertificate(crypto, encoding)
{
    public override TlsVerifier CreateVerifier(short signatureAlgorithm)
    {
        if (signatureAlgorithm != SignatureAlgorithm.ecdsa)
        {
            return base.CreateVerifier(signatureAlgorithm);
        }

        ValidateKeyUsage(Org.BouncyCastle.Asn1.X509.KeyUsage.DigitalSignature);
        GetPubKeyEC(); // throws a certificate_unknown alert when the key is not an EC key, as BouncyCastle's own path does
        return new SystemEcdsaVerifier(SubjectPublicKeyInfo.GetEncoded());
    }
}
