using System.Net.Sockets;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Testing.Transports;
using BcDtlsClientProtocol = Org.BouncyCastle.Tls.DtlsClientProtocol;
using BcDtlsServerProtocol = Org.BouncyCastle.Tls.DtlsServerProtocol;
using BcDtlsTransport = Org.BouncyCastle.Tls.DtlsTransport;

namespace P2p.Benchmarks.Dtls;

/// <summary>
/// The comparison point: the same handshake (our BouncyCastle client/server configuration) but with
/// BouncyCastle's own record ciphers and its DtlsTransport data path, over a UDP socket.
/// </summary>
internal sealed class BcBaseline : IDisposable
{
    private readonly Socket _clientSocket;
    private readonly Socket _serverSocket;

    private BcBaseline(Socket clientSocket, Socket serverSocket, BcDtlsTransport client, BcDtlsTransport server, RtcTlsCrypto clientCrypto, RtcTlsCrypto serverCrypto)
    {
        _clientSocket = clientSocket;
        _serverSocket = serverSocket;
        Client = client;
        Server = server;
        ClientCrypto = clientCrypto;
        ServerCrypto = serverCrypto;
    }

    public BcDtlsTransport Client { get; }

    public BcDtlsTransport Server { get; }

    public RtcTlsCrypto ClientCrypto { get; }

    public RtcTlsCrypto ServerCrypto { get; }

    public static BcBaseline Connect(int mtu)
    {
        var clientCertificate = RtcCertificate.Generate();
        var serverCertificate = RtcCertificate.Generate();
        var (clientSocket, serverSocket) = UdpLoopbackTransport.CreateSocketPair();
        var clientCrypto = new RtcTlsCrypto(useSystemRecordCipher: false);
        var serverCrypto = new RtcTlsCrypto(useSystemRecordCipher: false);
        var events = new NoEvents();
        var client = new RtcTlsClient(clientCrypto, clientCertificate, new RemoteCertificateVerifier([serverCertificate.Fingerprint]), 1000, events);
        var server = new RtcTlsServer(serverCrypto, serverCertificate, new RemoteCertificateVerifier([clientCertificate.Fingerprint]), 1000, events);
        var accept = Task.Factory.StartNew(
            () => new BcDtlsServerProtocol().Accept(server, new BcSocketDatagramTransport(serverSocket, mtu)),
            TaskCreationOptions.LongRunning);
        var clientTransport = new BcDtlsClientProtocol().Connect(client, new BcSocketDatagramTransport(clientSocket, mtu));
        var serverTransport = accept.GetAwaiter().GetResult();
        return new BcBaseline(clientSocket, serverSocket, clientTransport, serverTransport, clientCrypto, serverCrypto);
    }

    public void Dispose()
    {
        _clientSocket.Dispose();
        _serverSocket.Dispose();
    }

    private sealed class NoEvents : IRtcTlsPeerEvents
    {
        public void OnAlertRaised(short level, short description, string? message, Exception? cause)
        {
        }

        public void OnAlertReceived(short level, short description)
        {
        }

        public void OnHandshakeComplete(int cipherSuite, int srtpProfile)
        {
        }
    }
}
