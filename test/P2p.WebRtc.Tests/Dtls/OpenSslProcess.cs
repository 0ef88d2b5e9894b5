using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace P2p.WebRtc.Tests.Dtls;

/// <summary>
/// Runs the <c>openssl</c> command-line tool for interop tests: collects its stdout and stderr,
/// lets a test await a line, write to its stdin, and kills it on dispose.
/// </summary>
internal sealed class OpenSslProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();
    private readonly List<(string Text, TaskCompletionSource Done)> _waiters = [];

    private OpenSslProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Everything printed so far (stdout and stderr interleaved).</summary>
    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The openssl version line, or null when the tool cannot run here.</summary>
    public static string? Version()
    {
        try
        {
            var (exitCode, output) = RunAsync("version").GetAwaiter().GetResult();
            return exitCode == 0 ? output.Trim() : null;
        }
        catch (Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Runs openssl to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        using var process = Process.Start(StartInfo(arguments))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Starts a long-running openssl command (s_server, s_client).</summary>
    public static OpenSslProcess Start(params string[] arguments) => new(Process.Start(StartInfo(arguments))!);

    /// <summary>Completes when a line containing <paramref name="text"/> has been printed.</summary>
    public async Task WaitForAsync(string text, TimeSpan timeout)
    {
        try
        {
            var printed = WaitForCoreAsync(text, timeout);
            if (await Task.WhenAny(printed, _process.WaitForExitAsync()) != printed)
            {
                await Task.Delay(100); // let the last lines through the output pipes
                if (!Output.Contains(text, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"openssl exited ({_process.ExitCode}) without printing '{text}'; its output:{Environment.NewLine}{Output}");
                }
            }

            await printed;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"openssl did not print '{text}' within {timeout.TotalSeconds} s; its output:{Environment.NewLine}{Output}", e);
        }
    }

    private Task WaitForCoreAsync(string text, TimeSpan timeout)
    {
        Task task;
        lock (_lock)
        {
            if (_output.ToString().Contains(text, StringComparison.Ordinal))
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((text, done));
            task = done.Task;
        }

        return task.WaitAsync(timeout);
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public void CloseInput() => _process.StandardInput.Close();

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private static ProcessStartInfo StartInfo(string[] arguments)
    {
        // openssl's stdout is block-buffered when it is a pipe; stdbuf (coreutils) makes it
        // unbuffered so the test sees "ACCEPT", verification results and data as they happen.
        var unbuffered = File.Exists("/usr/bin/stdbuf");
        var info = new ProcessStartInfo(unbuffered ? "/usr/bin/stdbuf" : "openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (unbuffered)
        {
            foreach (var argument in (string[])["-o0", "-e0", "openssl"])
            {
                info.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            _output.AppendLine(line);
            var text = _output.ToString();
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (text.Contains(_waiters[i].Text, StringComparison.Ordinal))
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
