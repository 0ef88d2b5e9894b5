using System.Diagnostics;
using System.Text.Json;
using P2p.Signaling.WebSockets;

namespace P2p.Benchmarks.Signaling;

/// <summary>What one relay load run measured.</summary>
/// <param name="Relays">Relay round trips completed in the measured window.</param>
/// <param name="Seconds">Length of the measured window.</param>
/// <param name="CpuCores">This process's CPU time / wall time in the window.</param>
/// <param name="P50Us">Median relay round trip, µs.</param>
/// <param name="P99Us">99th percentile, µs.</param>
internal sealed record SignalingLoadResult(long Relays, double Seconds, double CpuCores, double P50Us, double P99Us)
{
    public double RelaysPerSecond => Relays / Seconds;
}

/// <summary>
/// N clients (our WebSocket client) connected to a signaling server, in groups of G, each relaying
/// to the other members of its group with C relays in flight; every relay is answered by the
/// target's handler (so each relay is 4 WebSocket messages: request, forward, answer, result).
/// </summary>
internal sealed class SignalingLoad : IAsyncDisposable
{
    private static readonly JsonElement Answer = JsonElement.Parse("""{"type":"answer","sdp":"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}""");
    private static readonly JsonElement Payload = JsonElement.Parse("""{"type":"candidate","candidate":"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}""");
    private readonly WebSocketSignalingChannel[] _channels;
    private readonly string[] _ids;
    private readonly (string Group, string[] Peers)[] _targets;

    private SignalingLoad(WebSocketSignalingChannel[] channels, string[] ids, (string, string[])[] targets)
    {
        _channels = channels;
        _ids = ids;
        _targets = targets;
    }

    public int Clients => _channels.Length;

    /// <summary>Connects and initialises <paramref name="clients"/> clients (50 at a time); no groups yet.</summary>
    public static async Task<(WebSocketSignalingChannel[] Channels, string[] Ids)> ConnectAsync(Uri uri, int clients, CancellationToken ct)
    {
        var options = new WebSocketSignalingChannelOptions { RequestTimeout = TimeSpan.FromSeconds(60) };
        var channels = new WebSocketSignalingChannel[clients];
        try
        {
            for (var i = 0; i < clients; i += 50)
            {
                await Task.WhenAll(Enumerable.Range(i, Math.Min(50, clients - i))
                    .Select(async k => channels[k] = await WebSocketSignalingChannel.ConnectAsync(uri, options, null, ct)));
            }

            var ids = await Task.WhenAll(channels.Select(c => c.InitAsync(ct)));
            return (channels, ids);
        }
        catch
        {
            await Task.WhenAll(channels.Where(c => c is not null).Select(c => c.DisposeAsync().AsTask()));
            throw;
        }
    }

    /// <summary>Puts connected clients in groups of <paramref name="groupSize"/> (a lone remainder joins the last group) and answers every relay.</summary>
    public static async Task<SignalingLoad> FormGroupsAsync(WebSocketSignalingChannel[] channels, string[] ids, int groupSize, CancellationToken ct)
    {
        var clients = channels.Length;
        var groups = new List<(string Id, List<int> Members)>();
        for (var start = 0; start < clients; start += groupSize)
        {
            var members = Enumerable.Range(start, Math.Min(groupSize, clients - start)).ToList();
            if (members.Count < 2 && groups.Count > 0)
            {
                await channels[members[0]].JoinGroupAsync(groups[^1].Id, ct);
                groups[^1].Members.Add(members[0]);
                continue;
            }

            var id = await channels[members[0]].CreateGroupAsync(null, ct);
            await Task.WhenAll(members.Skip(1).Select(m => channels[m].JoinGroupAsync(id, ct)));
            groups.Add((id, members));
        }

        var targets = new (string, string[])[clients];
        foreach (var (id, members) in groups)
        {
            foreach (var m in members)
            {
                targets[m] = (id, members.Where(o => o != m).Select(o => ids[o]).ToArray());
            }
        }

        foreach (var c in channels)
        {
            c.RelayHandler = (_, _) => ValueTask.FromResult(Answer);
        }

        return new SignalingLoad(channels, ids, targets);
    }

    /// <summary>Runs the relay load for <paramref name="duration"/>; latencies are sampled when <paramref name="measure"/>.</summary>
    public async Task<SignalingLoadResult> RunAsync(int inFlight, TimeSpan duration, bool measure, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long total = 0;
        var latencies = new List<long>[_channels.Length * inFlight];
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        stop.CancelAfter(duration);
        var loops = new List<Task>();
        for (var i = 0; i < _channels.Length; i++)
        {
            var (group, peers) = _targets[i];
            var channel = _channels[i];
            for (var k = 0; k < inFlight; k++)
            {
                var slot = (i * inFlight) + k;
                var samples = latencies[slot] = new List<long>(measure ? 4096 : 0);
                loops.Add(Task.Run(async () =>
                {
                    var next = slot;
                    long count = 0;
                    while (!stop.IsCancellationRequested)
                    {
                        var started = Stopwatch.GetTimestamp();
                        await channel.RelayAsync(group, peers[next++ % peers.Length], Payload, CancellationToken.None);
                        if (measure)
                        {
                            samples.Add(Stopwatch.GetTimestamp() - started);
                        }

                        count++;
                    }

                    Interlocked.Add(ref total, count);
                }, CancellationToken.None));
            }
        }

        await Task.WhenAll(loops);
        var seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds / seconds;
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))] * 1e6 / Stopwatch.Frequency;
        return new SignalingLoadResult(total, seconds, cpu, Percentile(0.5), Percentile(0.99));
    }

    public ValueTask DisposeAsync() => DisposeAllAsync(_channels);

    public static async ValueTask DisposeAllAsync(IEnumerable<WebSocketSignalingChannel?> channels) =>
        await Task.WhenAll(channels.Where(c => c is not null).Select(c => c!.DisposeAsync().AsTask()));
}
