using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Testing.Coturn;

/// <summary>
/// A coturn <c>turnserver</c> on 127.0.0.1 with a free port and a temporary directory (command line from
/// INTEROP.md), stopped by its process id, with user <c>test</c>/<c>test</c> in realm <c>p2p.test</c>. With
/// <c>streams</c> it also listens on TCP (the same port) and TLS (<see cref="TlsEndPoint"/>, a self-signed certificate
/// for <c>localhost</c>). With a shared secret it accepts TURN REST credentials instead of <c>test</c>/<c>test</c>
/// (<c>--use-auth-secret --static-auth-secret</c>). <see cref="StartAsync"/> returns null when the binary is absent.
/// </summary>
public sealed class CoturnServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly System.Text.StringBuilder _output = new();

    private CoturnServer(Process process, string directory, IPEndPoint endPoint, IPEndPoint? tls)
    {
        _process = process;
        _directory = directory;
        EndPoint = endPoint;
        TlsEndPoint = tls;
    }

    /// <summary>The user name of the long-term credentials (without a shared secret or other arguments).</summary>
    public const string TestUser = "test";

    /// <summary>The password of the long-term credentials (without a shared secret or other arguments).</summary>
    public const string TestPassword = "test";

    /// <summary>The realm the server announces.</summary>
    public const string Realm = "p2p.test";

    /// <summary>The UDP (and, with streams, TCP) listening address.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The TLS listening address (with streams only).</summary>
    public IPEndPoint? TlsEndPoint { get; }

    /// <summary>The SHA-1 thumbprint of the server's self-signed certificate (with streams only): what a client pins.</summary>
    public string? CertificateThumbprint { get; private init; }

    /// <summary>The server as a TURN URL over UDP, e.g. <c>turn:127.0.0.1:34781?transport=udp</c>.</summary>
    public string TurnUrl => $"turn:{EndPoint.Address}:{EndPoint.Port}?transport=udp";

    /// <summary>What the server printed so far (its log goes to stdout).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The path of <c>turnserver</c>, or null when coturn is not installed.</summary>
    public static string? FindBinary() =>
        new[] { "/usr/bin/turnserver", "/usr/local/bin/turnserver" }.FirstOrDefault(File.Exists);

    /// <summary>Starts a server and waits until it answers STUN.</summary>
    /// <param name="streams">Also listen on TCP (the same port) and TLS (<see cref="TlsEndPoint"/>).</param>
    /// <param name="extraArguments">Arguments instead of the long-term credentials <c>test</c>/<c>test</c>.</param>
    /// <param name="staticAuthSecret">
    /// The shared secret of TURN REST credentials (coturn's <c>use-auth-secret</c>/<c>static-auth-secret</c>), which
    /// then are the only ones accepted; null for the long-term credentials (or <paramref name="extraArguments"/>).
    /// </param>
    /// <returns>The running server, or null when coturn is not installed.</returns>
    public static async Task<CoturnServer?> StartAsync(bool streams = false, IEnumerable<string>? extraArguments = null, string? staticAuthSecret = null)
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
        if (staticAuthSecret is not null)
        {
            args.AddRange(["--use-auth-secret", $"--static-auth-secret={staticAuthSecret}"]);
        }

        if (extraArguments is null)
        {
            if (staticAuthSecret is null)
            {
                args.AddRange(["--lt-cred-mech", $"--user={TestUser}:{TestPassword}"]);
            }
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
        var server = new CoturnServer(process, dir, new IPEndPoint(IPAddress.Loopback, port), tls) { CertificateThumbprint = thumbprint };
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
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
    /// <param name="client">The socket to send from.</param>
    /// <param name="server">The STUN server.</param>
    /// <param name="id">The transaction id.</param>
    /// <param name="timeout">How long to wait for the response.</param>
    /// <returns>The response, or null when none came in time.</returns>
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

    /// <summary>
    /// Runs coturn's own client, <c>turnutils_uclient -y</c> (a client-to-client relay through this server), with
    /// the given credentials: exit code 0 means the server accepted them, allocated and relayed.
    /// </summary>
    /// <param name="username">The TURN user name.</param>
    /// <param name="password">The TURN password.</param>
    /// <param name="cancellationToken">Stops waiting (and kills the client).</param>
    /// <returns>The exit code and everything the client printed.</returns>
    public async Task<(int ExitCode, string Output)> RunUClientAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        var binary = Path.Combine(Path.GetDirectoryName(FindBinary() ?? "/usr/bin/turnserver")!, "turnutils_uclient");
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-u", username, "-w", password, "-y", "-p", EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-n", "5", "-m", "1", "-l", "100", EndPoint.Address.ToString() })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
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

    /// <summary>Stops the server (by its process id) and deletes its directory.</summary>
    /// <returns>A task that completes when the process has exited.</returns>
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
