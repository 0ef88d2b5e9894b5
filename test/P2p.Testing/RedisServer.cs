using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace P2p.Testing;

/// <summary>
/// A real <c>redis-server</c> (Debian's package) started by a test on a free 127.0.0.1 port, in a temporary
/// directory of its own and with its own settings, stopped by PID. It can be killed and started again on the same
/// port and directory (with <see cref="RedisServerOptions.AppendOnly"/> the data survives, as in a deployment with
/// persistence). A missing <c>redis-server</c> fails the test with a message saying how to install it.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly RedisServerOptions _options;
    private Process? _process;

    private RedisServer(int port, string directory, RedisServerOptions options)
    {
        Port = port;
        _directory = directory;
        _options = options;
    }

    /// <summary>The port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for it: <c>127.0.0.1:PORT</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Whether the server process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a server and returns once it answers PING.</summary>
    /// <param name="options">Settings; null for the defaults (no persistence).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop it and delete its directory.</returns>
    public static async Task<RedisServer> StartAsync(RedisServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var directory = Directory.CreateTempSubdirectory("p2p-redis-").FullName;
        var server = new RedisServer(LoopbackPort.Free(), directory, options ?? new RedisServerOptions());
        try
        {
            await server.RestartAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the server (SIGKILL: no shutdown, no final save) and waits for it to exit.</summary>
    /// <returns>A task that completes when the process is gone.</returns>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        try
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Exited already.
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Starts the server (again) on the same port and directory and returns once it answers PING.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the server answers.</returns>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await KillAsync();
        var info = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--protected-mode", "no",
            "--save", "", "--appendonly", _options.AppendOnly ? "yes" : "no", "--appendfsync", "always",
            "--dir", _directory, "--daemonize", "no", "--loglevel", "warning", "--maxclients", "10000",
        })
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("redis-server is not installed: `apt-get install -y redis-server` (the README's test command installs it).", ex);
        }

        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        while (!await PingAsync(timeout.Token))
        {
            if (process.HasExited)
            {
                string text;
                lock (output)
                {
                    text = output.ToString();
                }

                throw new InvalidOperationException($"redis-server exited with {process.ExitCode}: {text}");
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>Kills the server and deletes its directory.</summary>
    /// <returns>A task that completes when it is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left behind in the temporary directory.
        }
    }

    private async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cancellationToken);
            await socket.SendAsync("PING\r\n"u8.ToArray(), SocketFlags.None, cancellationToken);
            var buffer = new byte[64];
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            return read >= 5 && buffer.AsSpan(0, 5).SequenceEqual("+PONG"u8);
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
