using System.Net;
using System.Net.Sockets;
using System.Text;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Testing.Transports;
using P2p.WebRtc.Net;
using P2p.WebRtc.Tests.Support;
using static P2p.WebRtc.Tests.Dtls.DtlsTestPeers;

namespace P2p.WebRtc.Tests.Dtls;

/// <summary>
/// Interop with a foreign DTLS 1.2 implementation: OpenSSL's command-line client and server over
/// real UDP on 127.0.0.1, each side checking the other's ECDSA P-256 certificate (ours by
/// fingerprint, OpenSSL's by chain verification against our exported certificate).
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Self)]
public sealed class OpenSslInteropTests
{
    private readonly List<OpenSslProcess> _processes = [];
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private string _directory = string.Empty;
    private string _certificate = string.Empty;
    private string _key = string.Empty;
    private string _ourCertificate = string.Empty;
    private DtlsFingerprint _opensslFingerprint = null!;

    [OneTimeSetUp]
    public async Task CreateOpenSslIdentity()
    {
        var version = OpenSslProcess.Version();
        if (version is null)
        {
            Assert.Fail("The openssl command-line tool is not installed (./test.sh installs it): OpenSSL interop cannot be tested.");
        }

        TestContext.Progress.WriteLine($"OpenSSL interop with {version}");
        _directory = Directory.CreateTempSubdirectory("p2p-dtls-openssl-").FullName;
        _certificate = Path.Combine(_directory, "cert.pem");
        _key = Path.Combine(_directory, "key.pem");
        _ourCertificate = Path.Combine(_directory, "ours.pem");
        var (exitCode, output) = await OpenSslProcess.RunAsync(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", _key, "-out", _certificate, "-subj", "/CN=openssl", "-days", "2");
        Assert.That(exitCode, Is.Zero, output);

        // OpenSSL prints "sha256 Fingerprint=AB:CD:..." (the same hex form as SDP).
        (exitCode, output) = await OpenSslProcess.RunAsync("x509", "-in", _certificate, "-noout", "-fingerprint", "-sha256");
        Assert.That(exitCode, Is.Zero, output);
        _opensslFingerprint = DtlsFingerprint.Parse(DtlsFingerprint.Sha256, output.Trim()[(output.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim());

        // Our certificates as OpenSSL's trusted certificates (-partial_chain: trust these exact end-entity
        // certificates, like fingerprint pinning): OpenSSL then parses them and verifies their signatures.
        await File.WriteAllTextAsync(_ourCertificate, ClientCertificate.ExportCertificatePem() + ServerCertificate.ExportCertificatePem());
    }

    [TearDown]
    public void ShowOpenSslOutputOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            foreach (var process in _processes)
            {
                TestContext.Out.WriteLine("--- openssl output ---");
                TestContext.Out.WriteLine(process.Output);
            }
        }

        _processes.Clear();
    }

    [OneTimeTearDown]
    public void RemoveFiles()
    {
        if (_directory.Length > 0)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Test]
    public void Our_fingerprint_of_the_OpenSSL_certificate_matches_what_OpenSSL_prints()
    {
        var der = Convert.FromBase64String(string.Concat(File.ReadAllLines(_certificate).Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        var ours = DtlsFingerprint.Compute(DtlsFingerprint.Sha256, der);
        Assert.That(ours, Is.EqualTo(_opensslFingerprint));
        Assert.That(ours.ValueText, Is.EqualTo(_opensslFingerprint.ValueText));
    }

    [Test]
    public async Task Our_client_connects_to_openssl_s_server_through_its_HelloVerifyRequest_and_exchanges_data()
    {
        var port = FreeUdpPort();
        using var server = Track(OpenSslProcess.Start(
            "s_server", "-dtls1_2", "-accept", $"127.0.0.1:{port}", "-naccept", "1",
            "-cert", _certificate, "-key", _key,
            "-Verify", "1", "-CAfile", _ourCertificate, "-partial_chain", "-verify_return_error"));
        await server.WaitForAsync("ACCEPT", Wait);

        using var udp = UdpLoopbackTransport.Connect(new IPEndPoint(IPAddress.Loopback, port));
        var tap = new TappedDatagramTransport(udp);
        await using var client = new DtlsTransport(tap, DtlsRole.Client, ClientCertificate, [_opensslFingerprint], FastOptions);
        var received = new ReceivedDatagrams();
        client.SetReceiveHandler(received.Handler);

        await client.StartAsync().WaitAsync(Wait);

        // s_server uses the cookie exchange: our ClientHello went out again with the cookie.
        var clientHellos = tap.Sent.Count(d => d.Length > 13 && d[0] == 22 && d[3] == 0 && d[4] == 0 && d[13] == 1);
        Assert.That(clientHellos, Is.GreaterThanOrEqualTo(2), "expected a HelloVerifyRequest round trip");
        Assert.That(client.CipherSuite, Does.StartWith("TLS_ECDHE_ECDSA_WITH_"));

        client.Send(Encoding.ASCII.GetBytes("hello from dotnet\n"));
        await server.WaitForAsync("hello from dotnet", Wait);
        await server.WriteLineAsync("hello from openssl");
        await received.WaitForCountAsync(1, Wait);
        Assert.That(Encoding.ASCII.GetString(received.Items[0]), Is.EqualTo("hello from openssl\n"));

        await client.CloseAsync();
        await server.WaitForExitAsync(Wait); // -naccept 1: exits once our close_notify ended the session
        Assert.That(server.Output, Does.Not.Contain("verify error"));
    }

    [TestCase(null)]
    [TestCase("ECDHE-ECDSA-AES128-GCM-SHA256")]
    [TestCase("ECDHE-ECDSA-AES256-GCM-SHA384")]
    [TestCase("ECDHE-ECDSA-CHACHA20-POLY1305")]
    public async Task Openssl_s_client_connects_to_our_server_exchanges_data_and_closes(string? cipher)
    {
        using var udp = UdpLoopbackTransport.Listen();
        await using var server = new DtlsTransport(udp, DtlsRole.Server, ServerCertificate, [_opensslFingerprint], FastOptions);
        var received = new ReceivedDatagrams();
        server.SetReceiveHandler(received.Handler);
        var closed = new TaskCompletionSource<DatagramTransportClosedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Closed += (_, e) => closed.TrySetResult(e);
        var handshake = server.StartAsync();

        var arguments = new List<string>
        {
            "s_client", "-dtls1_2", "-connect", $"127.0.0.1:{udp.LocalEndPoint.Port}",
            "-cert", _certificate, "-key", _key, "-CAfile", _ourCertificate, "-partial_chain", "-verify_return_error",
        };
        if (cipher is not null)
        {
            arguments.AddRange(["-cipher", cipher]);
        }

        using var client = Track(OpenSslProcess.Start([.. arguments]));
        await handshake.WaitAsync(Wait);
        await client.WaitForAsync("Verify return code: 0 (ok)", Wait);
        if (cipher is not null)
        {
            var expected = cipher.Replace("ECDHE-ECDSA-", "TLS_ECDHE_ECDSA_WITH_", StringComparison.Ordinal)
                .Replace("-GCM-", "_GCM_", StringComparison.Ordinal).Replace("AES128", "AES_128", StringComparison.Ordinal)
                .Replace("AES256", "AES_256", StringComparison.Ordinal).Replace("CHACHA20-POLY1305", "CHACHA20_POLY1305_SHA256", StringComparison.Ordinal);
            Assert.That(server.CipherSuite, Is.EqualTo(expected));
        }

        await client.WriteLineAsync("hello from openssl");
        await received.WaitForCountAsync(1, Wait);
        Assert.That(Encoding.ASCII.GetString(received.Items[0]), Is.EqualTo("hello from openssl\n"));
        server.Send(Encoding.ASCII.GetBytes("hello from dotnet\n"));
        await client.WaitForAsync("hello from dotnet", Wait);

        // EOF on s_client's stdin: it sends close_notify, which closes our side without error.
        client.CloseInput();
        var args = await closed.Task.WaitAsync(Wait);
        Assert.That(args.Error, Is.Null);
        Assert.That(server.State, Is.EqualTo(DtlsTransportState.Closed));
    }

    [TestCase("SRTP_AES128_CM_SHA1_80", "SRTP_AES128_CM_HMAC_SHA1_80")]
    [TestCase("SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_256_GCM")]
    [TestCase(null, null)]
    public async Task Our_client_offers_use_srtp_and_accepts_the_profile_openssl_s_server_chose(string? serverProfiles, string? expected)
    {
        var port = FreeUdpPort();
        var arguments = new List<string>
        {
            "s_server", "-dtls1_2", "-accept", $"127.0.0.1:{port}", "-naccept", "1", "-cert", _certificate, "-key", _key,
            "-Verify", "1", "-CAfile", _ourCertificate, "-partial_chain", "-verify_return_error",
        };
        if (serverProfiles is not null)
        {
            arguments.AddRange(["-use_srtp", serverProfiles]);
        }

        using var server = Track(OpenSslProcess.Start([.. arguments]));
        await server.WaitForAsync("ACCEPT", Wait);
        using var udp = UdpLoopbackTransport.Connect(new IPEndPoint(IPAddress.Loopback, port));
        await using var client = new DtlsTransport(udp, DtlsRole.Client, ClientCertificate, [_opensslFingerprint], FastOptions);
        var received = new ReceivedDatagrams();
        client.SetReceiveHandler(received.Handler);

        await client.StartAsync().WaitAsync(Wait);

        Assert.That(client.SrtpProtectionProfile, Is.EqualTo(expected));
        client.Send(Encoding.ASCII.GetBytes("hello from dotnet\n"));
        await server.WaitForAsync("hello from dotnet", Wait);
        await client.CloseAsync();
        await server.WaitForExitAsync(Wait);
    }

    [TestCase("SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_HMAC_SHA1_80", "SRTP_AES128_CM_SHA1_80")]
    [TestCase("SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM", "SRTP_AEAD_AES_128_GCM")]
    public async Task Our_server_answers_use_srtp_with_the_first_profile_of_openssl_s_client_that_it_supports(string clientProfiles, string expected, string opensslName)
    {
        using var udp = UdpLoopbackTransport.Listen();
        await using var server = new DtlsTransport(udp, DtlsRole.Server, ServerCertificate, [_opensslFingerprint], FastOptions);
        var received = new ReceivedDatagrams();
        server.SetReceiveHandler(received.Handler);
        var handshake = server.StartAsync();

        using var client = Track(OpenSslProcess.Start(
            "s_client", "-dtls1_2", "-connect", $"127.0.0.1:{udp.LocalEndPoint.Port}", "-use_srtp", clientProfiles,
            "-cert", _certificate, "-key", _key, "-CAfile", _ourCertificate, "-partial_chain", "-verify_return_error"));
        await handshake.WaitAsync(Wait);
        await client.WaitForAsync("Verify return code: 0 (ok)", Wait);

        Assert.That(server.SrtpProtectionProfile, Is.EqualTo(expected));
        Assert.That(client.Output, Does.Contain($"SRTP Extension negotiated, profile={opensslName}"));
        await client.WriteLineAsync("hello from openssl");
        await received.WaitForCountAsync(1, Wait);
        client.CloseInput();
    }

    [Test]
    public async Task Our_client_refuses_openssl_when_the_sdp_fingerprint_does_not_match()
    {
        var port = FreeUdpPort();
        using var server = Track(OpenSslProcess.Start(
            "s_server", "-dtls1_2", "-accept", $"127.0.0.1:{port}", "-naccept", "1", "-cert", _certificate, "-key", _key, "-Verify", "1"));
        await server.WaitForAsync("ACCEPT", Wait);
        using var udp = UdpLoopbackTransport.Connect(new IPEndPoint(IPAddress.Loopback, port));
        await using var client = new DtlsTransport(udp, DtlsRole.Client, ClientCertificate, [OtherCertificate.Fingerprint], FastOptions);

        var error = Assert.ThrowsAsync<DtlsHandshakeException>(async () => await client.StartAsync().WaitAsync(Wait));

        Assert.That(error!.Reason, Is.EqualTo(DtlsHandshakeFailure.RemoteFingerprintMismatch));
        await server.WaitForAsync("bad certificate", Wait); // OpenSSL reports our fatal bad_certificate alert
    }

    private OpenSslProcess Track(OpenSslProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
