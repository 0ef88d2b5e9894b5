using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace P2p.Testing.Interop;

/// <summary>
/// One running foreign peer program (test/interop-peers/): its signaling lines on stdout, its report line,
/// its stderr (kept for failure messages and passed to a log sink), its stdin. Disposing kills it (and its
/// children, e.g. a browser) if it still runs.
/// </summary>
public sealed class ForeignPeerProcess : IScenarioEndpoint
{
    private const int MaxKeptStderrLines = 400;
    private readonly Process _process;
    private readonly Channel<string> _signaling = Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource<ScenarioReport> _report = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly SemaphoreSlim _stdinLock = new(1, 1);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<string>? _log;

    private ForeignPeerProcess(ForeignStack stack, ScenarioRole role, int mib, TimeSpan timeout, Action<string>? log)
    {
        Stack = stack;
        _log = log;
        var role_ = role == ScenarioRole.Offer ? "offer" : "answer";
        Name = $"{stack.Name} ({role_})";
        var root = RepositoryRoot.Path;
        var executable = stack.Executable.Contains('/', StringComparison.Ordinal) ? Path.GetFullPath(stack.Executable, root) : stack.Executable;
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            StandardInputEncoding = new UTF8Encoding(false),
        };
        foreach (var argument in stack.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in (string[])["--role", role_, "--mib", mib.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", ((int)timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => OnStdout(e.Data);
        _process.ErrorDataReceived += (_, e) => OnStderr(e.Data);
        try
        {
            _process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"Cannot start the {stack.Name} peer ({executable} {string.Join(' ', start.ArgumentList)}): {e.Message}. "
                + "./test.sh installs every foreign peer (test/interop-peers/install.sh).", e);
        }

        _process.StandardInput.NewLine = "\n";
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The stack this process runs.</summary>
    public ForeignStack Stack { get; }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public ChannelReader<string> Signaling => _signaling.Reader;

    /// <inheritdoc/>
    public Task<ScenarioReport> Report => _report.Task;

    /// <inheritdoc/>
    public string Diagnostics => string.Join('\n', _stderr);

    /// <summary>Starts the stack's peer program in <paramref name="role"/>.</summary>
    /// <param name="stack">The stack.</param>
    /// <param name="role">Offer or answer.</param>
    /// <param name="mib">MiB of bulk it sends.</param>
    /// <param name="timeout">Its own time limit (<c>--timeout</c>).</param>
    /// <param name="log">Receives each stderr line, prefixed with the peer's name; optional.</param>
    /// <exception cref="InvalidOperationException">The program could not be started (not installed).</exception>
    public static ForeignPeerProcess Start(ForeignStack stack, ScenarioRole role, int mib, TimeSpan timeout, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return new ForeignPeerProcess(stack, role, mib, timeout, log);
    }

    /// <inheritdoc/>
    public async Task DeliverAsync(string line, CancellationToken cancellationToken)
    {
        await _stdinLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _process.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // It stopped reading: its exit or report says why.
        }
        finally
        {
            _stdinLock.Release();
        }
    }

    /// <inheritdoc/>
    public async Task<int> FinishAsync(TimeSpan timeout)
    {
        await _stdinLock.WaitAsync().ConfigureAwait(false);
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

        try
        {
            await Task.WhenAll(_process.WaitForExitAsync(), _stdoutClosed.Task, _stderrClosed.Task).WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0} s of its stdin closing.");
        }

        return _process.ExitCode;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _log?.Invoke($"[{Name}] still running at teardown: killing it");
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // exited meanwhile, or would not die: nothing more to do
        }
        finally
        {
            _report.TrySetResult(new ScenarioReport { Ok = false, Stack = Stack.Name, Role = string.Empty, Error = "disposed before it reported" });
            _process.Dispose();
            _stdinLock.Dispose();
        }
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            _signaling.Writer.TryComplete();
            _stdoutClosed.TrySetResult();
            _ = ReportMissingAfterExitAsync();
            return;
        }

        if (SignalingLine.TypeOf(line, out _) == "report")
        {
            try
            {
                _report.TrySetResult(ScenarioReport.Parse(line));
            }
            catch (JsonException e)
            {
                _report.TrySetResult(new ScenarioReport { Ok = false, Stack = Stack.Name, Error = $"unreadable report line ({e.Message}): {line}" });
            }

            return;
        }

        _signaling.Writer.TryWrite(line);
    }

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            _stderrClosed.TrySetResult();
            return;
        }

        _stderr.Enqueue(line);
        while (_stderr.Count > MaxKeptStderrLines && _stderr.TryDequeue(out _))
        {
        }

        _log?.Invoke($"[{Name}] {line}");
    }

    private async Task ReportMissingAfterExitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        _report.TrySetResult(new ScenarioReport
        {
            Ok = false,
            Stack = Stack.Name,
            Error = $"exited with code {_process.ExitCode} without a report line",
        });
    }
}
