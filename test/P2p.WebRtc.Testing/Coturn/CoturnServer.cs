using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Testing.Coturn;

/// <summary>
/// A coturn <c>turnserver</c> on 127.0.0.1 with a free port and a temporary directory (command line from
/// INTEROP.md), stopped by its process id. <see cref="StartAsync(string?)"/> returns null when the binary is absent.
/// It accepts the long-term credentials <see cref="TestUser"/>/<see cref="TestPassword"/>, or, when started with a
/// shared secret, TURN REST credentials (<c>--use-auth-secret --static-auth-secret</c>) instead.
/// </summary>
public sealed class CoturnServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly System.Text.StringBuilder _output = new();

    private CoturnServer(Process process, string directory, IPEndPoint endPoint)
    {
        _process = process;
        _directory = directory;
        EndPoint = endPoint;
    }

    /// <summary>The user name of the long-term credentials (without a shared secret).</summary>
    public const string TestUser = "test";

    /// <summary>The password of the long-term credentials (without a shared secret).</summary>
    public const string TestPassword = "test";

    /// <summary>The realm the server announces.</summary>
    public const string Realm = "p2p.test";

    /// <summary>The UDP address the server listens on (127.0.0.1 and a free port).</summary>
    public IPEndPoint EndPoint { get; }

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
    /// <param name="staticAuthSecret">
    /// Null for the long-term credentials <see cref="TestUser"/>/<see cref="TestPassword"/>; otherwise the shared
    /// secret of TURN REST credentials (coturn's <c>use-auth-secret</c>/<c>static-auth-secret</c>), which then are the only ones accepted.
    /// </param>
    /// <returns>The running server, or null when coturn is not installed.</returns>
    public static async Task<CoturnServer?> StartAsync(string? staticAuthSecret = null)
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
        foreach (var arg in new[]
        {
            "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", $"--listening-port={port}",
            $"--min-port={relayBase}", $"--max-port={relayBase + 40}", $"--realm={Realm}",
            "--fingerprint", "--no-tls", "--no-dtls", "--no-tcp", "--no-cli", "--allow-loopback-peers",
            $"--userdb={Path.Combine(dir, "turndb")}", $"--pidfile={Path.Combine(dir, "turnserver.pid")}", "--log-file=stdout", "--simple-log",
        })
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var arg in staticAuthSecret is null
            ? new[] { "--lt-cred-mech", $"--user={TestUser}:{TestPassword}" }
            : ["--use-auth-secret", $"--static-auth-secret={staticAuthSecret}"])
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new CoturnServer(process, dir, new IPEndPoint(IPAddress.Loopback, port));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
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
