using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using P2p.Benchmarks.Common;
using P2p.Signaling.Server;

namespace P2p.Benchmarks.Signaling;

/// <summary>
/// The signaling server in a child process (so that its memory per connection is measured apart from
/// the clients'): `P2p.Benchmarks signaling-server` prints "READY ws://127.0.0.1:PORT/", then answers
/// each "mem" line on stdin with "MEM heap workingSet private" (after a full GC) and stops at "quit"
/// or end of input. Its arguments are configuration: <c>--P2pSignaling:Redis 127.0.0.1:PORT</c> sets
/// <see cref="SignalingServerOptions.Redis"/> (an instance of a cluster sharing that Redis), as on the runnable host.
/// </summary>
public sealed class SignalingServerProcessScenario : IScenario
{
    public string Name => "signaling-server";

    public string Description => "(used by 'all') the signaling server alone in this process, driven over stdin";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var configuration = new ConfigurationBuilder().AddCommandLine(args).Build().GetSection("P2pSignaling");
        await using var server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { Configure = configuration.Bind }, cancellationToken);
        Console.WriteLine($"READY {server.Uri}");
        while (await Console.In.ReadLineAsync(cancellationToken) is { } line && line != "quit")
        {
            if (line == "mem")
            {
                var m = ProcessMemory.Measure();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MEM {m.ManagedHeap} {m.WorkingSet} {m.PrivateBytes}"));
            }
        }

        return 0;
    }
}

/// <summary>Starts and talks to <see cref="SignalingServerProcessScenario"/> in a child process.</summary>
internal sealed class SignalingServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private SignalingServerProcess(Process process, Uri uri)
    {
        _process = process;
        Uri = uri;
    }

    public Uri Uri { get; }

    /// <summary>Starts the child; <paramref name="args"/> are its configuration (e.g. <c>--P2pSignaling:Redis HOST:PORT</c>).</summary>
    /// <param name="fileDescriptors">Sockets the child must be able to hold (see <see cref="ChildProcess.StartInfo"/>); 0: the inherited limit.</param>
    /// <param name="args">Configuration arguments.</param>
    public static async Task<SignalingServerProcess> StartAsync(int fileDescriptors = 0, params string[] args)
    {
        var info = ChildProcess.StartInfo("signaling-server", fileDescriptors, args);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the signaling server process");
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            if (line is null || !line.StartsWith("READY ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the signaling server process said: {line}");
            }

            return new SignalingServerProcess(process, new Uri(line["READY ".Length..]));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    public async Task<ProcessMemory> MemoryAsync()
    {
        await _process.StandardInput.WriteLineAsync("mem");
        await _process.StandardInput.FlushAsync();
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))
            ?? throw new InvalidOperationException("the signaling server process ended");
        var f = line.Split(' ');
        return new ProcessMemory(long.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StandardInput.WriteLineAsync("quit");
            await _process.StandardInput.FlushAsync();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            _process.Kill(entireProcessTree: true);
        }
        finally
        {
            _process.Dispose();
        }
    }
}
