using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Tests.Support;

/// <summary>
/// A coturn <c>turnserver</c> on 127.0.0.1 with a free port and a temporary directory (command line from
/// INTEROP.md), stopped by its process id, with user <c>test</c>/<c>test</c> in realm <c>p2p.test</c>. With
/// <c>streams</c> it also listens on TCP (the same port) and TLS (<see cref="TlsEndPoint"/>, a self-signed certificate
/// for <c>localhost</c>). <see cref="StartAsync"/> returns null when the binary is absent.
/// </summary>
public sealed class CoturnServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private CoturnServer(Process process, string directory, IPEndPoint endPoint, IPEndPoint? tls)
    {
        _process = process;
        _directory = directory;
        EndPoint = endPoint;
        TlsEndPoint = tls;
    }

    /// <summary>The UDP (and, with streams, TCP) listening address.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The TLS listening address (with streams only).</summary>
    public IPEndPoint? TlsEndPoint { get; }

    /// <summary>The SHA-1 thumbprint of the server's self-signed certificate (with streams only): what a client pins.</summary>
    public string? CertificateThumbprint { get; private init; }

    public static string? FindBinary() =>
        new[] { "/usr/bin/turnserver", "/usr/local/bin/turnserver" }.FirstOrDefault(File.Exists);

    public static async Task<CoturnServer?> StartAsync(bool streams = false, IEnumerable<string>? extraArguments = null)
    {
        var binary = FindBinary();
        if (binary is null)
        {
            return null;
        }

        var port = FreeUdpPort();
        var relayBase = 50000 + Random.Shared.Next(0, 14000);
        var dir = Directory.CreateTempSubdirectory("p2p-coturn-").FullName;
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var args = new List<string>
        {
            "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", $"--listening-port={port}",
            $"--min-port={relayBase}", $"--max-port={relayBase + 40}", "--realm=p2p.test",
            "--fingerprint", "--no-dtls", "--no-cli", "--allow-loopback-peers",
            $"--userdb={Path.Combine(dir, "turndb")}", $"--pidfile={Path.Combine(dir, "turnserver.pid")}", "--log-file=stdout", "--simple-log",
        };
        if (extraArguments is null)
        {
            args.AddRange(["--lt-cred-mech", "--user=test:test"]);
        }
        else
        {
            args.AddRange(extraArguments);
        }

        IPEndPoint? tls = null;
        string? thumbprint = null;
        if (streams)
        {
            var tlsPort = FreeTcpPort();
            tls = new IPEndPoint(IPAddress.Loopback, tlsPort);
            var (cert, key, thumb) = WriteSelfSignedCertificate(dir);
            thumbprint = thumb;
            args.AddRange([$"--tls-listening-port={tlsPort}", $"--cert={cert}", $"--pkey={key}", "--no-tlsv1", "--no-tlsv1_1"]);
        }
        else
        {
            args.AddRange(["--no-tls", "--no-tcp"]);
        }

        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new CoturnServer(process, dir, new IPEndPoint(IPAddress.Loopback, port), tls) { CertificateThumbprint = thumbprint };
        try
        {
            await server.WaitUntilAnsweringAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Sends one STUN Binding request from <paramref name="client"/> and returns the response bytes.</summary>
    public static async Task<byte[]?> BindingAsync(UdpClient client, IPEndPoint server, StunTransactionId id, TimeSpan timeout)
    {
        var request = new byte[64];
        var length = Write(request, id);
        await client.SendAsync(request.AsMemory(0, length), server);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var r = await client.ReceiveAsync(cts.Token);
                if (StunMessage.TryParse(r.Buffer, out var m) == StunParseResult.Success && m.TransactionId == id)
                {
                    return r.Buffer;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static int Write(byte[] buffer, StunTransactionId id)
    {
        var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.Request, id);
        w.AddFingerprint();
        return w.Length;
    }

    private async Task WaitUntilAnsweringAsync()
    {
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"turnserver exited with code {_process.ExitCode}");
            }

            if (await BindingAsync(client, EndPoint, StunTransactionId.NewRandom(), TimeSpan.FromMilliseconds(200)) is not null)
            {
                return;
            }
        }

        throw new TimeoutException("turnserver did not answer STUN within 10 s");
    }

    private static (string Certificate, string Key, string Thumbprint) WriteSelfSignedCertificate(string directory)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(directory, "cert.pem");
        var keyPath = Path.Combine(directory, "key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath, certificate.Thumbprint);
    }

    private static int FreeTcpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
