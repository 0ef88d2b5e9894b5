using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace P2p.Testing.NatLab;

/// <summary>A throwaway ECDSA P-256 server certificate for coturn's TLS listener, written as PEM files.</summary>
internal static class SelfSignedCertificate
{
    /// <summary>The certificate's file name in the directory.</summary>
    public const string CertificateFile = "turn-cert.pem";

    /// <summary>The private key's file name (PKCS#8).</summary>
    public const string KeyFile = "turn-key.pem";

    /// <summary>Makes a certificate for <paramref name="address"/>, turn.p2p.test and localhost (subject alternative names) and writes both PEM files.</summary>
    /// <returns>The certificate (public part), to recognise it in a TLS handshake.</returns>
    public static X509Certificate2 WritePem(IPAddress address, string directory)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=turn.p2p.test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(address);
        names.AddDnsName("turn.p2p.test");
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        File.WriteAllText(Path.Combine(directory, CertificateFile), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, KeyFile), key.ExportPkcs8PrivateKeyPem());
        return X509CertificateLoader.LoadCertificate(certificate.RawData);
    }
}
