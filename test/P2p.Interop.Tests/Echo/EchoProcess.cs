using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Threading.Channels;

namespace P2p.Interop.Tests.Echo;

/// <summary>
/// One running <c>dotnet WebRtcEcho.dll</c> (samples/WebRtcEcho, built with the solution): its stdout
/// lines, its stderr (also echoed to the test's output), its stdin. Disposing kills it if it still runs.
/// </summary>
internal sealed class EchoProcess : IAsyncDisposable
{
    private static readonly Lazy<string> Dll = new(FindDll);
    private readonly Process _process;
    private readonly Channel<string> _stdout = Channel.CreateUnbounded<string>();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly SemaphoreSlim _stdinLock = new(1, 1);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private EchoProcess(string name, IEnumerable<string> args)
    {
        Name = name;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            StandardInputEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add(Dll.Value);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _stdout.Writer.TryComplete();
                _stdoutClosed.TrySetResult();
            }
            else
            {
                _stdout.Writer.TryWrite(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _stderrClosed.TrySetResult();
                return;
            }

            _stderr.Enqueue(e.Data);
            TestContext.Progress.WriteLine($"[{name}] {e.Data}");
        };
        _process.Start();
        _process.StandardInput.NewLine = "\n";
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    /// <summary>The lines the process printed on stdout (signaling JSON), completed when it closes stdout.</summary>
    public ChannelReader<string> StdoutLines => _stdout.Reader;

    /// <summary>Everything printed on stderr so far.</summary>
    public string Stderr => string.Join('\n', _stderr);

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>dotnet WebRtcEcho.dll</c> with <paramref name="args"/>.</summary>
    public static EchoProcess Start(string name, params string[] args) => new(name, args);

    /// <summary>
    /// Forwards every stdout line of <paramref name="from"/> to the stdin of <paramref name="to"/> until
    /// <paramref name="from"/> closes its stdout; returns the lines (the test's view of the signaling).
    /// </summary>
    public static async Task<List<string>> PipeAsync(EchoProcess from, EchoProcess to)
    {
        var lines = new List<string>();
        await foreach (var line in from.StdoutLines.ReadAllAsync())
        {
            lines.Add(line);
            await to.TryWriteLineAsync(line);
        }

        return lines;
    }

    /// <summary>Writes one line to stdin; false when the process no longer reads it.</summary>
    public async Task<bool> TryWriteLineAsync(string line)
    {
        await _stdinLock.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(line);
            await _process.StandardInput.FlushAsync();
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
        finally
        {
            _stdinLock.Release();
        }
    }

    public async Task WriteLinesAsync(params string[] lines)
    {
        foreach (var line in lines)
        {
            Assert.That(await TryWriteLineAsync(line), Is.True, $"{Name} stopped reading stdin");
        }
    }

    public async Task CloseStdinAsync()
    {
        await _stdinLock.WaitAsync();
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // already gone
        }
        finally
        {
            _stdinLock.Release();
        }
    }

    /// <summary>Waits for the exit (and the end of its output) and returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await Task.WhenAll(_process.WaitForExitAsync(), _stdoutClosed.Task, _stderrClosed.Task).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{Name} did not exit within {timeout.TotalSeconds} s; stderr:\n{Stderr}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                TestContext.Progress.WriteLine($"[{Name}] still running at teardown: killing it");
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
        finally
        {
            _process.Dispose();
            _stdinLock.Dispose();
        }
    }

    /// <summary>samples/WebRtcEcho/bin/&lt;configuration&gt;/net10.0/WebRtcEcho.dll of this repository.</summary>
    private static string FindDll()
    {
        var configuration = typeof(EchoProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "P2p.sln")))
            {
                var dll = Path.Combine(dir.FullName, "samples", "WebRtcEcho", "bin", configuration, "net10.0", "WebRtcEcho.dll");
                return File.Exists(dll)
                    ? dll
                    : throw new InvalidOperationException($"{dll} is missing: build the solution first (dotnet build P2p.sln -c {configuration}).");
            }
        }

        throw new InvalidOperationException($"No P2p.sln above {AppContext.BaseDirectory}: cannot find samples/WebRtcEcho.");
    }
}
