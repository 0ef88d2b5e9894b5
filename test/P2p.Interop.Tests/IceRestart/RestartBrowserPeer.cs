using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using P2p.Testing.Interop;

namespace P2p.Interop.Tests.IceRestart;

/// <summary>
/// A browser's RTCPeerConnection in its own process (restart-browser.js next to this file, puppeteer-core from
/// test/interop-peers/js): commands by line, replies matched by id, candidates and messages as events.
/// </summary>
internal sealed class RestartBrowserPeer : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode?>> _pending = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _stderr = new();
    private int _nextId;

    private RestartBrowserPeer(string browser)
    {
        Browser = browser;
        var root = RepositoryRoot.Path;
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        start.ArgumentList.Add(Path.Combine(root, "test", "P2p.Interop.Tests", "IceRestart", "restart-browser.js"));
        start.ArgumentList.Add("--browser");
        start.ArgumentList.Add(browser);
        _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                _stderr.Enqueue(line);
                NUnit.Framework.TestContext.Progress.WriteLine(line);
            }
        };
        _process.BeginErrorReadLine();
        _ = Task.Run(ReadAsync);
    }

    /// <summary>chromium or firefox.</summary>
    public string Browser { get; }

    /// <summary>The browser's version, once started.</summary>
    public string Version { get; private set; } = string.Empty;

    /// <summary>The browser's local candidates (RTCIceCandidateInit JSON); null is end-of-candidates.</summary>
    public Channel<JsonObject?> Candidates { get; } = Channel.CreateUnbounded<JsonObject?>();

    /// <summary>Text messages received on any channel, as "label:text".</summary>
    public Channel<string> Messages { get; } = Channel.CreateUnbounded<string>();

    /// <summary>What the driver wrote on stderr (for failure messages).</summary>
    public string Diagnostics => string.Join('\n', _stderr);

    /// <summary>Starts the browser and creates its peer connection; fails (never skips) when the browser is missing.</summary>
    public static async Task<RestartBrowserPeer> StartAsync(string browser, CancellationToken cancellationToken)
    {
        var peer = new RestartBrowserPeer(browser);
        try
        {
            peer.Version = await peer._ready.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{browser} did not start: {e.Message}\n{peer.Diagnostics}", e);
        }

        await peer.CallAsync("create");
        return peer;
    }

    public Task<JsonNode?> CallAsync(string cmd, object? args = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var command = args is null ? new JsonObject() : JsonSerializer.SerializeToNode(args)!.AsObject();
        command["id"] = id;
        command["cmd"] = cmd;
        var reply = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        lock (_process)
        {
            _process.StandardInput.WriteLine(command.ToJsonString());
            _process.StandardInput.Flush();
        }

        return reply.Task.WaitAsync(CallTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (Exception)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (JsonNode.Parse(line) is not JsonObject message)
            {
                continue;
            }

            if (message["id"] is { } id && _pending.TryRemove(id.GetValue<int>(), out var reply))
            {
                if (message["error"] is { } error)
                {
                    reply.TrySetException(new InvalidOperationException($"{Browser}: {error}"));
                }
                else
                {
                    reply.TrySetResult(message["result"]);
                }

                continue;
            }

            switch ((string?)message["event"])
            {
                case "ready":
                    _ready.TrySetResult((string?)message["version"] ?? string.Empty);
                    break;
                case "fatal":
                    _ready.TrySetException(new InvalidOperationException((string?)message["error"]));
                    break;
                case "candidate":
                    Candidates.Writer.TryWrite(message["candidate"] as JsonObject);
                    break;
                case "message":
                    Messages.Writer.TryWrite($"{message["label"]}:{message["text"]}");
                    break;
            }
        }

        _ready.TrySetException(new InvalidOperationException($"the {Browser} driver exited"));
        foreach (var reply in _pending.Values)
        {
            reply.TrySetException(new InvalidOperationException($"the {Browser} driver exited"));
        }
    }
}
