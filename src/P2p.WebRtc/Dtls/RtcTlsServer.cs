using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using BcCertificate = Org.BouncyCastle.Tls.Certificate;
using BcCertificateRequest = Org.BouncyCastle.Tls.CertificateRequest;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// The BouncyCastle server side of our DTLS 1.2 handshake: negotiates DTLS 1.2 even when the
/// client also offers DTLS 1.3 (supported_versions), ECDHE-ECDSA with AEAD suites, extended master
/// secret required, always requests the client's certificate (RFC 8827 §6.5 mutual
/// authentication) and checks it against the SDP fingerprint; answers <c>use_srtp</c> (RFC 5764,
/// see <see cref="DtlsSrtpProfiles"/>); no session resumption.
/// </summary>
internal sealed class RtcTlsServer : DefaultTlsServer
{
    private readonly RtcTlsCrypto _crypto;
    private readonly RtcCertificate _certificate;
    private readonly RemoteCertificateVerifier _verifier;
    private readonly int _resendMillis;
    private readonly IRtcTlsPeerEvents _events;
    private int _srtpProfile = -1;

    public RtcTlsServer(RtcTlsCrypto crypto, RtcCertificate certificate, RemoteCertificateVerifier verifier, int resendMillis, IRtcTlsPeerEvents events)
        : base(crypto)
    {
        _crypto = crypto;
        _certificate = certificate;
        _verifier = verifier;
        _resendMillis = resendMillis;
        _events = events;
    }

    public override bool RequiresExtendedMasterSecret() => true;

    public override int GetHandshakeResendTimeMillis() => _resendMillis;

    public override int[] GetSupportedGroups() => DtlsCipherSuites.Groups;

    public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
    {
        base.ProcessClientExtensions(clientExtensions);
        var offer = clientExtensions is null ? null : TlsSrtpUtilities.GetUseSrtpExtension(clientExtensions);
        _srtpProfile = offer is null ? -1 : DtlsSrtpProfiles.Select(offer.ProtectionProfiles);
    }

    public override IDictionary<int, byte[]> GetServerExtensions()
    {
        var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetServerExtensions());
        if (_srtpProfile >= 0)
        {
            // RFC 5764 §4.1.1: one profile, and no MKI (we never use one).
            TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData([_srtpProfile], []));
        }

        return extensions;
    }

    public override BcCertificateRequest GetCertificateRequest() =>
        new([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign], DtlsCipherSuites.SignatureAlgorithms, null);

    public override void NotifyClientCertificate(BcCertificate clientCertificate) =>
        _verifier.Verify(clientCertificate, peerIsClient: true);

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause) =>
        _events.OnAlertRaised(alertLevel, alertDescription, message, cause);

    public override void NotifyAlertReceived(short alertLevel, short alertDescription) =>
        _events.OnAlertReceived(alertLevel, alertDescription);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        _events.OnHandshakeComplete(m_context.SecurityParameters.CipherSuite, _srtpProfile);
    }

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => TlsUtilities.GetSupportedCipherSuites(Crypto, DtlsCipherSuites.Server);

    protected override TlsCredentialedSigner GetECDsaSignerCredentials()
    {
        // RFC 5246 §7.4.1.4.1: sign with an algorithm from the client's signature_algorithms.
        var clientAlgorithms = m_context.SecurityParameters.ClientSigAlgs;
        var signature = DtlsCipherSuites.LocalSignature;
        if (clientAlgorithms is not null && !clientAlgorithms.Contains(signature))
        {
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "The client does not accept ECDSA P-256 with SHA-256 signatures.");
        }

        var certificate = new BcCertificate([_crypto.CreateCertificate(_certificate.GetDerUnsafe())]);
        return new DefaultTlsCredentialedSigner(new TlsCryptoParameters(m_context), new SystemEcdsaSigner(_certificate), certificate, signature);
    }
}
