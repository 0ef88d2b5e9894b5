using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace P2p.Testing;

/// <summary>
/// The runnable signaling server (<c>P2p.Signaling.Server.dll</c>, copied next to every test assembly that references
/// it) as a child process on a free 127.0.0.1 port: for tests that must kill a server the way a crash does.
/// </summary>
public sealed class SignalingHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private SignalingHostProcess(Process process, StringBuilder output, int port)
    {
        _process = process;
        _output = output;
        Uri = new Uri($"ws://127.0.0.1:{port}/");
    }

    /// <summary>The WebSocket endpoint.</summary>
    public Uri Uri { get; }

    /// <summary>What the process wrote so far (for failure messages).</summary>
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

    /// <summary>Starts the server with extra command-line arguments (e.g. <c>--redis 127.0.0.1:PORT</c>) and returns once it accepts connections.</summary>
    /// <param name="arguments">Arguments after <c>--urls</c>.</param>
    /// <returns>The running server.</returns>
    public static async Task<SignalingHostProcess> StartAsync(params string[] arguments)
    {
        var port = LoopbackPort.Free();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "P2p.Signaling.Server.dll"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info) ?? throw new InvalidOperationException("The signaling server process did not start.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new SignalingHostProcess(process, output, port);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!await AcceptsAsync(port, timeout.Token))
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The signaling server exited with {process.ExitCode}: {server.Output}");
                }

                await Task.Delay(50, timeout.Token);
            }

            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the process (SIGKILL: no drain, no close handshakes, its Redis connection just ends) and waits for it to exit.</summary>
    /// <returns>A task that completes when the process is gone.</returns>
    public async Task KillAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited already.
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Kills the process if it still runs.</summary>
    /// <returns>A task that completes when it is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private static async Task<bool> AcceptsAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
