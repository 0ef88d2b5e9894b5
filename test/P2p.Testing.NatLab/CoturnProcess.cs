using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.WebRtc;
using P2p.WebRtc.Stun;

namespace P2p.Testing.NatLab;

/// <summary>
/// A real STUN/TURN server: Debian coturn's <c>turnserver</c>, started with its own command line and temporary
/// directory (user database, pid file, a self-signed TLS certificate), optionally inside a lab namespace, and
/// stopped by its process id. Its output goes to the logger. A missing <c>turnserver</c> throws: the tests that
/// need it fail with the package to install, they never skip.
/// </summary>
public sealed class CoturnProcess : IAsyncDisposable
{
    private const int KeptOutputLines = 200;
    private readonly Process _process;
    private readonly string _directory;
    private readonly Queue<string> _output = new();

    private CoturnProcess(Process process, string directory, CoturnOptions options, IPEndPoint endPoint, X509Certificate2? certificate)
    {
        _process = process;
        _directory = directory;
        Options = options;
        EndPoint = endPoint;
        Certificate = certificate;
    }

    /// <summary>The settings it was started with (ports resolved).</summary>
    public CoturnOptions Options { get; }

    /// <summary>The STUN/TURN address over UDP (and TCP when <see cref="CoturnOptions.Tcp"/>).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The TURN-over-TLS address, or <see langword="null"/> without TLS.</summary>
    public IPEndPoint? TlsEndPoint => Options.TlsPort == 0 ? null : new IPEndPoint(EndPoint.Address, Options.TlsPort);

    /// <summary>The self-signed certificate of the TLS listener, or <see langword="null"/> without TLS.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>The SHA-1 thumbprint of <see cref="Certificate"/> (what a client pins), or <see langword="null"/> without TLS.</summary>
    public string? CertificateThumbprint => Certificate?.GetCertHashString();

    /// <summary>The process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary><c>stun:ADDRESS:PORT</c>.</summary>
    public string StunUrl => Url("stun", EndPoint.Port, null);

    /// <summary><c>turn:ADDRESS:PORT</c> (TURN over UDP).</summary>
    public string TurnUdpUrl => Url("turn", EndPoint.Port, null);

    /// <summary><c>turn:ADDRESS:PORT?transport=tcp</c>.</summary>
    public string TurnTcpUrl => Url("turn", EndPoint.Port, "tcp");

    /// <summary><c>turns:ADDRESS:TLSPORT</c> (TURN over TLS).</summary>
    public string TurnsUrl => Url("turns", Options.TlsPort, null);

    /// <summary>Accepts exactly this server's self-signed certificate (for <c>IceAgentOptions.TurnCertificateValidation</c>).</summary>
    public RemoteCertificateValidationCallback CertificateValidation => (_, certificate, _, _) =>
        Certificate is not null && certificate is not null && certificate.GetCertHashString() == Certificate.GetCertHashString();

    /// <summary>The last lines coturn wrote (for a failure message).</summary>
    public string RecentOutput
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>
    /// The server's URLs with working credentials, shaped like the browser's <c>RTCIceServer</c>: the long-term user, or
    /// with <see cref="CoturnOptions.StaticAuthSecret"/> TURN REST credentials valid for an hour.
    /// </summary>
    /// <param name="urls">E.g. <see cref="TurnUdpUrl"/>.</param>
    /// <returns>The server entry.</returns>
    public RtcIceServer IceServer(params string[] urls)
    {
        if (Options.StaticAuthSecret is { } secret)
        {
            var (user, password) = TurnRestCredentials.Create(secret, "p2p-test", DateTimeOffset.UtcNow.AddHours(1));
            return new RtcIceServer(urls, user, password);
        }

        return new RtcIceServer(urls, Options.Username, Options.Password);
    }

    /// <summary>Starts <c>turnserver</c> and waits until it answers a STUN Binding request (and accepts TLS connections, when on).</summary>
    /// <param name="options">Its settings.</param>
    /// <param name="logger">Where its output goes (Debug).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="InvalidOperationException"><c>turnserver</c> is not installed, or it exited.</exception>
    /// <exception cref="TimeoutException">It did not answer in <see cref="CoturnOptions.StartTimeout"/>.</exception>
    public static async Task<CoturnProcess> StartAsync(CoturnOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        logger ??= NullLogger.Instance;
        var binary = LabTools.Turnserver;
        if (options.Port == 0)
        {
            if (options.Namespace is not null)
            {
                throw new ArgumentException("Give a fixed port inside a namespace.", nameof(options));
            }

            // coturn frees a deleted allocation's relay port a little later (measured: back-to-back allocations that are
            // deleted at once use up 41 ports after 41), so a benchmark's series of connections needs a wider range.
            var relayBase = 50000 + Random.Shared.Next(0, 13000);
            options = options with { Port = FreeUdpPort(options.ListeningAddress), MinRelayPort = relayBase, MaxRelayPort = relayBase + 1000 };
        }

        var directory = Directory.CreateTempSubdirectory("p2p-coturn-").FullName;
        var certificate = options.TlsPort == 0 ? null : SelfSignedCertificate.WritePem(options.ListeningAddress, directory);
        var psi = new ProcessStartInfo(options.Namespace is null ? binary : LabTools.Ip)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (options.Namespace is { } ns)
        {
            // ip netns exec execs the program: the process id is turnserver's own.
            foreach (var a in new[] { "netns", "exec", ns.Name, binary })
            {
                psi.ArgumentList.Add(a);
            }
        }

        foreach (var argument in Arguments(options, directory))
        {
            psi.ArgumentList.Add(argument);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start turnserver.");
        var server = new CoturnProcess(process, directory, options, new IPEndPoint(options.ListeningAddress, options.Port), certificate);
        process.OutputDataReceived += (_, e) => server.OnOutput(e.Data, logger);
        process.ErrorDataReceived += (_, e) => server.OnOutput(e.Data, logger);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitUntilAnsweringAsync(cancellationToken).ConfigureAwait(false);
            logger.LogInformation("coturn (pid {Pid}) answers on {EndPoint}{Tls}{Ns}", process.Id, server.EndPoint,
                server.TlsEndPoint is { } tls ? $", TLS on {tls.Port}" : string.Empty, options.Namespace is { } n ? $" in {n.Name}" : string.Empty);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return server;
    }

    /// <summary>Sends one STUN Binding request from <paramref name="client"/> and returns the matching response, or null after <paramref name="timeout"/>.</summary>
    /// <param name="client">The socket to send from.</param>
    /// <param name="server">The STUN server.</param>
    /// <param name="id">The transaction id.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>The response's bytes, or <see langword="null"/>.</returns>
    public static async Task<byte[]?> BindingAsync(UdpClient client, IPEndPoint server, StunTransactionId id, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(client);
        var request = new byte[64];
        var length = WriteBindingRequest(request, id);
        await client.SendAsync(request.AsMemory(0, length), server).ConfigureAwait(false);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var r = await client.ReceiveAsync(cts.Token).ConfigureAwait(false);
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

    /// <summary>Kills the process (SIGKILL: immediate, its ports are free at once) and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        finally
        {
            _process.Dispose();
            Certificate?.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static IEnumerable<string> Arguments(CoturnOptions o, string directory)
    {
        var address = o.ListeningAddress.ToString();
        yield return "-n";
        yield return "--listening-ip=" + address;
        yield return "--relay-ip=" + address;
        yield return "--listening-port=" + I(o.Port);
        yield return "--min-port=" + I(o.MinRelayPort);
        yield return "--max-port=" + I(o.MaxRelayPort);
        if (o.StaticAuthSecret is { } secret)
        {
            yield return "--use-auth-secret";
            yield return "--static-auth-secret=" + secret;
        }
        else
        {
            yield return "--lt-cred-mech";
            yield return $"--user={o.Username}:{o.Password}";
        }

        yield return "--realm=" + o.Realm;
        yield return "--fingerprint";
        yield return "--no-dtls";
        yield return "--no-cli";
        if (o.TlsPort == 0)
        {
            yield return "--no-tls";
        }
        else
        {
            yield return "--tls-listening-port=" + I(o.TlsPort);
            yield return "--cert=" + Path.Combine(directory, SelfSignedCertificate.CertificateFile);
            yield return "--pkey=" + Path.Combine(directory, SelfSignedCertificate.KeyFile);
            yield return "--no-tlsv1";
            yield return "--no-tlsv1_1";
        }

        if (!o.Tcp)
        {
            yield return "--no-tcp";
        }

        if (o.AllowLoopbackPeers)
        {
            yield return "--allow-loopback-peers";
        }

        yield return "--userdb=" + Path.Combine(directory, "turndb");
        yield return "--pidfile=" + Path.Combine(directory, "turnserver.pid");
        yield return "--log-file=stdout";
        yield return "--simple-log";
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static int WriteBindingRequest(byte[] buffer, StunTransactionId id)
    {
        var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.Request, id);
        w.AddFingerprint();
        return w.Length;
    }

    private static int FreeUdpPort(IPAddress address)
    {
        using var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private string Url(string scheme, int port, string? transport)
    {
        var host = EndPoint.Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{EndPoint.Address}]" : EndPoint.Address.ToString();
        return FormattableString.Invariant($"{scheme}:{host}:{port}") + (transport is null ? string.Empty : "?transport=" + transport);
    }

    private void OnOutput(string? line, ILogger logger)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > KeptOutputLines)
            {
                _output.Dequeue();
            }
        }

        logger.LogDebug("coturn: {Line}", line);
    }

    private async Task WaitUntilAnsweringAsync(CancellationToken cancellationToken)
    {
        using var client = Options.Namespace is { } ns
            ? ns.Run(() => new UdpClient(new IPEndPoint(IPAddress.Any, 0)))
            : new UdpClient(new IPEndPoint(Options.ListeningAddress, 0));
        var deadline = Stopwatch.GetTimestamp() + (long)(Options.StartTimeout.TotalSeconds * Stopwatch.Frequency);
        var answered = false;
        while (Stopwatch.GetTimestamp() < deadline && !answered)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"turnserver exited with code {_process.ExitCode}: {RecentOutput}");
            }

            answered = await BindingAsync(client, EndPoint, StunTransactionId.NewRandom(), TimeSpan.FromMilliseconds(100)).ConfigureAwait(false) is not null;
        }

        if (!answered)
        {
            throw new TimeoutException($"turnserver did not answer STUN on {EndPoint} within {Options.StartTimeout.TotalSeconds} s: {RecentOutput}");
        }

        if (TlsEndPoint is { } tls)
        {
            await WaitUntilAcceptingAsync(tls, deadline, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitUntilAcceptingAsync(IPEndPoint endPoint, long deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var socket = Options.Namespace is { } ns
                ? ns.Run(() => new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
                : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"turnserver did not accept TLS connections on {endPoint}: {e.Message}. {RecentOutput}");
            }
        }
    }
}
