using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using BcCertificate = Org.BouncyCastle.Tls.Certificate;
using BcCertificateRequest = Org.BouncyCastle.Tls.CertificateRequest;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// The BouncyCastle client side of our DTLS 1.2 handshake: DTLS 1.2 only, ECDHE with AEAD suites,
/// extended master secret required (RFC 7627, RFC 8827 §6.5), no session resumption, our
/// certificate sent when the server asks (always, in WebRTC), the server's certificate checked
/// against the SDP fingerprint; <c>use_srtp</c> offered (RFC 5764, see <see cref="DtlsSrtpProfiles"/>).
/// </summary>
internal sealed class RtcTlsClient : AbstractTlsClient
{
    private readonly RtcTlsCrypto _crypto;
    private readonly RtcCertificate _certificate;
    private readonly RemoteCertificateVerifier _verifier;
    private readonly int _resendMillis;
    private readonly IRtcTlsPeerEvents _events;
    private int _srtpProfile = -1;

    public RtcTlsClient(RtcTlsCrypto crypto, RtcCertificate certificate, RemoteCertificateVerifier verifier, int resendMillis, IRtcTlsPeerEvents events)
        : base(crypto)
    {
        _crypto = crypto;
        _certificate = certificate;
        _verifier = verifier;
        _resendMillis = resendMillis;
        _events = events;
    }

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    public override bool RequiresExtendedMasterSecret() => true;

    public override int GetHandshakeResendTimeMillis() => _resendMillis;

    public override IDictionary<int, byte[]> GetClientExtensions()
    {
        var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetClientExtensions());
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, DtlsSrtpProfiles.Offer());
        return extensions;
    }

    public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
    {
        base.ProcessServerExtensions(serverExtensions);
        var answer = serverExtensions is null ? null : TlsSrtpUtilities.GetUseSrtpExtension(serverExtensions);
        _srtpProfile = answer is null ? -1 : DtlsSrtpProfiles.CheckServerChoice(answer);
    }

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

    protected override int[] GetSupportedCipherSuites() => TlsUtilities.GetSupportedCipherSuites(Crypto, DtlsCipherSuites.Client);

    protected override IList<int> GetSupportedGroups(IList<int> namedGroupRoles) => DtlsCipherSuites.Groups;

    protected override IList<SignatureAndHashAlgorithm> GetSupportedSignatureAlgorithms() => DtlsCipherSuites.SignatureAlgorithms;

    private sealed class Authentication(RtcTlsClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
            client._verifier.Verify(serverCertificate.Certificate, peerIsClient: false);

        public TlsCredentials GetClientCredentials(BcCertificateRequest certificateRequest)
        {
            var crypto = client._crypto;
            var certificate = new BcCertificate([crypto.CreateCertificate(client._certificate.GetDerUnsafe())]);
            return new DefaultTlsCredentialedSigner(
                new TlsCryptoParameters(client.m_context),
                new SystemEcdsaSigner(client._certificate),
                certificate,
                DtlsCipherSuites.LocalSignature);
        }
    }
}
