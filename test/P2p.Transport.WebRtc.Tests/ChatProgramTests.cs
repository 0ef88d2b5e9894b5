using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using P2p.Testing;

namespace P2p.Transport.WebRtc.Tests;

/// <summary>samples/P2p.Chat: two chat processes in one group over WebRTC, driven through stdin/stdout.</summary>
[TestFixture]
public partial class ChatProgramTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Test]
    [CancelAfter(60_000)]
    public async Task Two_chats_talk_to_everyone_and_to_one_and_see_each_other_leave(CancellationToken ct)
    {
        await using var server = await SignalingServer.StartAsync();
        using var a = ChatProcess.Start("--server", server.Uri.ToString(), "--loopback", "--name", "alice");
        var groupId = CreatedGroup().Match(await a.WaitForLineAsync("created group", ct)).Groups[1].Value;
        var aId = You().Match(await a.WaitForLineAsync("you are", ct)).Groups[1].Value;

        using var b = ChatProcess.Start("--server", server.Uri.ToString(), "--loopback", "--group", groupId);
        await b.WaitForLineAsync("joined group", ct);
        var bId = You().Match(await b.WaitForLineAsync("you are", ct)).Groups[1].Value;
        await a.WaitForLineAsync($"* {bId} connected", ct);
        await b.WaitForLineAsync($"* {aId} connected", ct);

        await b.SendAsync("hello from b");
        Assert.That(await a.WaitForLineAsync($"<{bId}>", ct), Is.EqualTo($"<{bId}> hello from b"));
        await a.SendAsync($"/to {bId} psst");
        Assert.That(await b.WaitForLineAsync($"<{aId} to you>", ct), Is.EqualTo($"<{aId} to you> alice: psst"));
        Assert.That(await a.WaitForLineAsync($"* {bId} received", ct), Is.EqualTo($"* {bId} received"));

        await b.SendAsync("/quit");
        Assert.That(await b.WaitForExitAsync(ct), Is.Zero);
        await a.WaitForLineAsync($"* {bId} left", ct);
        a.CloseInput();
        Assert.That(await a.WaitForExitAsync(ct), Is.Zero);
    }

    [GeneratedRegex(@"created group ([0-9a-f]+)")]
    private static partial Regex CreatedGroup();

    [GeneratedRegex(@"you are ([0-9a-f]+)")]
    private static partial Regex You();

    private sealed class ChatProcess : IDisposable
    {
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
            timeout.CancelAfter(Timeout);
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
            await _process.WaitForExitAsync(ct).WaitAsync(Timeout, ct);
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
