using Org.BouncyCastle.Tls;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// What this stack offers in DTLS 1.2 (RFC 8827 §6.5: ECDHE for forward secrecy, and
/// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 with P-256 is mandatory to implement). AEAD suites only.
/// </summary>
internal static class DtlsCipherSuites
{
    /// <summary>Offered as client, in preference order; the RSA ones accept peers with RSA certificates.</summary>
    public static readonly int[] Client =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    /// <summary>Accepted as server (our certificate is ECDSA), in preference order.</summary>
    public static readonly int[] Server =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    /// <summary>Key-exchange groups, in preference order (X25519, then P-256 which RFC 8827 requires, then P-384).</summary>
    public static readonly int[] Groups = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

    /// <summary>Signature algorithms we accept from the peer (ECDSA first; RSA for liberal interop).</summary>
    public static IList<SignatureAndHashAlgorithm> SignatureAlgorithms { get; } =
    [
        new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa),
        new SignatureAndHashAlgorithm(HashAlgorithm.sha384, SignatureAlgorithm.ecdsa),
        new SignatureAndHashAlgorithm(HashAlgorithm.sha512, SignatureAlgorithm.ecdsa),
        SignatureAndHashAlgorithm.rsa_pss_rsae_sha256,
        SignatureAndHashAlgorithm.rsa_pss_rsae_sha384,
        SignatureAndHashAlgorithm.rsa_pss_rsae_sha512,
        new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.rsa),
        new SignatureAndHashAlgorithm(HashAlgorithm.sha384, SignatureAlgorithm.rsa),
        new SignatureAndHashAlgorithm(HashAlgorithm.sha512, SignatureAlgorithm.rsa),
    ];

    /// <summary>The signature we make with our P-256 key.</summary>
    public static SignatureAndHashAlgorithm LocalSignature { get; } = new(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);

    /// <summary>IANA name of a suite we offer, for logs and diagnostics.</summary>
    public static string Name(int cipherSuite) => cipherSuite switch
    {
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        _ => $"0x{cipherSuite:X4}",
    };
}
