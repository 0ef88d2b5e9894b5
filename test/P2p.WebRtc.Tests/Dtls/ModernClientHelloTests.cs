using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Testing.Transports;
using P2p.WebRtc.Tests.Support;
using static P2p.WebRtc.Tests.Dtls.DtlsTestPeers;
using BcCertificate = Org.BouncyCastle.Tls.Certificate;
using BcCertificateRequest = Org.BouncyCastle.Tls.CertificateRequest;

namespace P2p.WebRtc.Tests.Dtls;

/// <summary>
/// Our server must be liberal about a modern browser's ClientHello: DTLS 1.3 in supported_versions,
/// TLS 1.3 cipher suites, a post-quantum hybrid group first (X25519MLKEM768), use_srtp — and still
/// negotiate DTLS 1.2 with ECDHE-ECDSA-AES128-GCM and extended master secret.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class ModernClientHelloTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Server_negotiates_dtls12_with_a_client_that_also_offers_dtls13_and_hybrid_groups()
    {
        await using var link = new InMemoryDatagramLink();
        await using var server = Server(link.B);
        var atServer = new ReceivedDatagrams();
        server.SetReceiveHandler(atServer.Handler);
        using var abort = new CancellationTokenSource(Wait);
        var tap = new TappedDatagramTransport(link.A);
        using var clientSide = new HandshakeDatagramTransport(tap, false, TimeProvider.System, NullLogger.Instance, abort.Token);
        link.A.SetReceiveHandler(datagram => clientSide.TryEnqueue(datagram));
        var client = new ModernClient(new BcTlsCrypto());

        var serverStart = server.StartAsync();
        var clientTransport = await Task.Run(() => new DtlsClientProtocol().Connect(client, clientSide)).WaitAsync(Wait);
        await serverStart.WaitAsync(Wait);

        var clientHello = Convert.ToHexString(tap.Sent[0]);
        Assert.Multiple(() =>
        {
            Assert.That(clientHello, Does.Contain("002B000504FEFCFEFD"), "supported_versions offered DTLS 1.3 and 1.2");
            Assert.That(clientHello, Does.Contain("11EC001D0017"), "supported_groups led by X25519MLKEM768");
            Assert.That(client.NegotiatedVersion, Is.EqualTo(ProtocolVersion.DTLSv12));
            Assert.That(client.UsedExtendedMasterSecret, Is.True);
            Assert.That(server.CipherSuite, Is.EqualTo("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"));
        });
        clientTransport.Send(Encoding.ASCII.GetBytes("from a modern client"));
        await atServer.WaitForCountAsync(1, Wait);
        Assert.That(Encoding.ASCII.GetString(atServer.Items[0]), Is.EqualTo("from a modern client"));
    }

    private sealed class ModernClient(TlsCrypto crypto) : AbstractTlsClient(crypto)
    {
        private const int X25519MlKem768 = 0x11EC;

        public ProtocolVersion? NegotiatedVersion { get; private set; }

        public bool UsedExtendedMasterSecret { get; private set; }

        public override bool RequiresExtendedMasterSecret() => true;

        public override IDictionary<int, byte[]> GetClientExtensions()
        {
            var extensions = base.GetClientExtensions();
            // supported_versions (RFC 8446 §4.2.1): DTLS 1.3 (0xFEFC) before DTLS 1.2 (0xFEFD).
            extensions[ExtensionType.supported_versions] = [4, 0xFE, 0xFC, 0xFE, 0xFD];
            // use_srtp (RFC 5764 §4.1.1): SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_SHA1_80, no MKI.
            extensions[ExtensionType.use_srtp] = [0, 4, 0x00, 0x07, 0x00, 0x01, 0];
            return extensions;
        }

        public override void NotifyHandshakeComplete()
        {
            base.NotifyHandshakeComplete();
            NegotiatedVersion = m_context.ServerVersion;
            UsedExtendedMasterSecret = m_context.SecurityParameters.IsExtendedMasterSecret;
        }

        public override TlsAuthentication GetAuthentication() => new Authentication(this);

        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

        protected override int[] GetSupportedCipherSuites() =>
        [
            CipherSuite.TLS_AES_128_GCM_SHA256,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ];

        protected override IList<int> GetSupportedGroups(IList<int> namedGroupRoles) =>
            [X25519MlKem768, NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

        private sealed class Authentication(ModernClient client) : TlsAuthentication
        {
            public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
            {
                var der = serverCertificate.Certificate.GetCertificateAt(0).GetEncoded();
                if (!ServerCertificate.Fingerprint.Matches(der))
                {
                    throw new TlsFatalAlert(AlertDescription.bad_certificate);
                }
            }

            public TlsCredentials GetClientCredentials(BcCertificateRequest certificateRequest)
            {
                var crypto = (BcTlsCrypto)client.Crypto;
                var certificate = new BcCertificate([crypto.CreateCertificate(ClientCertificate.RawData.ToArray())]);
                return new BcDefaultTlsCredentialedSigner(
                    new TlsCryptoParameters(client.m_context), crypto, ClientCertificate.PrivateKey, certificate,
                    new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
            }
        }
    }
}
