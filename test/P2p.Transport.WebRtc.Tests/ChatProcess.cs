using System.Diagnostics;
using System.Threading.Channels;

namespace P2p.Transport.WebRtc.Tests;

/// <summary>samples/P2p.Chat as a child process, driven through stdin/stdout.</summary>
internal sealed class ChatProcess : IDisposable
{
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _unmatched = [];

    private ChatProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
            }
            else
            {
                _lines.Writer.TryWrite(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static ChatProcess Start(params string[] args)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "P2p.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("P2p.sln not found above the test assembly.");
        }

        var chat = Path.Combine(root, "samples", "P2p.Chat", "bin", "Release", "net10.0", "P2p.Chat.dll");
        Assert.That(File.Exists(chat), Is.True, $"{chat} is built by 'dotnet build P2p.sln -c Release'");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(chat);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new ChatProcess(Process.Start(start)!);
    }

    /// <summary>The first output line not matched before that contains <paramref name="text"/>, waiting for it if needed.</summary>
    public async Task<string> WaitForLineAsync(string text, CancellationToken ct)
    {
        var seen = _unmatched.FindIndex(l => l.Contains(text, StringComparison.Ordinal));
        if (seen >= 0)
        {
            var earlier = _unmatched[seen];
            _unmatched.RemoveAt(seen);
            return earlier;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(LineTimeout);
        await foreach (var line in _lines.Reader.ReadAllAsync(timeout.Token))
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                return line;
            }

            _unmatched.Add(line);
        }

        throw new InvalidOperationException($"The chat exited without printing '{text}'.");
    }

    public async Task SendAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public void CloseInput() => _process.StandardInput.Close();

    public async Task<int> WaitForExitAsync(CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct).WaitAsync(LineTimeout, ct);
        return _process.ExitCode;
    }

    /// <summary>Kills the process at once (a crash: no leave, no close handshake).</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
