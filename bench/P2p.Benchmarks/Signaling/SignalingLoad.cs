using System.Diagnostics;
using System.Text.Json;
using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets;

namespace P2p.Benchmarks.Signaling;

/// <summary>What one relay load run measured.</summary>
/// <param name="Relays">Relay round trips completed in the measured window.</param>
/// <param name="Seconds">Length of the measured window (relays completed after it are not counted).</param>
/// <param name="CpuCores">This process's CPU time / wall time in the window.</param>
/// <param name="P50Us">Median relay round trip, µs.</param>
/// <param name="P99Us">99th percentile, µs.</param>
/// <param name="Failed">Relays that came back as errors (not counted in <paramref name="Relays"/>), e.g. a target on another instance that the server cannot reach.</param>
/// <param name="FirstError">The first such error's message, or null.</param>
/// <param name="DrainSeconds">How long the relays still in flight at the end of the window took to come back.</param>
internal sealed record SignalingLoadResult(long Relays, double Seconds, double CpuCores, double P50Us, double P99Us, long Failed = 0, string? FirstError = null, double DrainSeconds = 0)
{
    public double RelaysPerSecond => Relays / Seconds;
}

/// <summary>
/// N clients (our WebSocket client) connected to a signaling server, in groups of G, each relaying
/// to the other members of its group with C relays in flight; every relay is answered by the
/// target's handler (so each relay is 4 WebSocket messages: request, forward, answer, result).
/// Clients may be spread over several server instances (client k on endpoint k mod n): consecutive
/// clients form a group, so the members of a group sit on different instances where possible.
/// </summary>
internal sealed class SignalingLoad : IAsyncDisposable
{
    private static readonly JsonElement Answer = JsonElement.Parse("""{"type":"answer","sdp":"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}""");
    private static readonly JsonElement Payload = JsonElement.Parse("""{"type":"candidate","candidate":"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}""");
    private readonly WebSocketSignalingChannel[] _channels;
    private readonly string[] _ids;
    private readonly (string Group, string[] Peers)[] _targets;

    private SignalingLoad(WebSocketSignalingChannel[] channels, string[] ids, (string, string[])[] targets, int groups, int joinFailures, string? firstJoinError)
    {
        _channels = channels;
        _ids = ids;
        _targets = targets;
        Groups = groups;
        JoinFailures = joinFailures;
        FirstJoinError = firstJoinError;
    }

    public int Clients => _channels.Length;

    /// <summary>Groups formed.</summary>
    public int Groups { get; }

    /// <summary>Joins the server refused (a group created on another instance that this one cannot see).</summary>
    public int JoinFailures { get; }

    /// <summary>The first refused join's message, or null.</summary>
    public string? FirstJoinError { get; }

    /// <summary>Connects and initialises <paramref name="clients"/> clients (50 at a time); no groups yet.</summary>
    public static Task<(WebSocketSignalingChannel[] Channels, string[] Ids)> ConnectAsync(Uri uri, int clients, CancellationToken ct) =>
        ConnectAsync([uri], clients, ct);

    /// <summary>Connects and initialises <paramref name="clients"/> clients (50 at a time), client k to <paramref name="uris"/>[k mod n]; no groups yet.</summary>
    public static async Task<(WebSocketSignalingChannel[] Channels, string[] Ids)> ConnectAsync(IReadOnlyList<Uri> uris, int clients, CancellationToken ct)
    {
        var options = new WebSocketSignalingChannelOptions { RequestTimeout = TimeSpan.FromSeconds(60) };
        var channels = new WebSocketSignalingChannel[clients];
        try
        {
            for (var i = 0; i < clients; i += 50)
            {
                await Task.WhenAll(Enumerable.Range(i, Math.Min(50, clients - i))
                    .Select(async k => channels[k] = await WebSocketSignalingChannel.ConnectAsync(uris[k % uris.Count], options, null, ct)));
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

    /// <summary>
    /// Puts connected clients in groups of <paramref name="groupSize"/> (a lone remainder joins the last group) and
    /// answers every relay. A join the server refuses is counted (<see cref="JoinFailures"/>), not thrown: the member's
    /// relays then fail and are counted by <see cref="RunAsync"/>.
    /// </summary>
    public static async Task<SignalingLoad> FormGroupsAsync(WebSocketSignalingChannel[] channels, string[] ids, int groupSize, CancellationToken ct)
    {
        var clients = channels.Length;
        var joinFailures = 0;
        string? firstJoinError = null;
        async Task JoinAsync(int member, string groupId)
        {
            try
            {
                await channels[member].JoinGroupAsync(groupId, ct);
            }
            catch (SignalingException e)
            {
                Interlocked.Increment(ref joinFailures);
                Interlocked.CompareExchange(ref firstJoinError, $"{(int)e.Code} {e.Message}", null);
            }
        }

        // Members first (a lone remainder joins the last group), then 50 groups at a time: create, the others join.
        var memberLists = new List<List<int>>();
        for (var start = 0; start < clients; start += groupSize)
        {
            var members = Enumerable.Range(start, Math.Min(groupSize, clients - start)).ToList();
            if (members.Count < 2 && memberLists.Count > 0)
            {
                memberLists[^1].AddRange(members);
                continue;
            }

            memberLists.Add(members);
        }

        var groupIds = new string[memberLists.Count];
        for (var batch = 0; batch < memberLists.Count; batch += 50)
        {
            await Task.WhenAll(Enumerable.Range(batch, Math.Min(50, memberLists.Count - batch)).Select(async g =>
            {
                var members = memberLists[g];
                groupIds[g] = await channels[members[0]].CreateGroupAsync(null, ct);
                await Task.WhenAll(members.Skip(1).Select(m => JoinAsync(m, groupIds[g])));
            }));
        }

        var groups = memberLists.Select((members, g) => (Id: groupIds[g], Members: members)).ToList();
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

        return new SignalingLoad(channels, ids, targets, groups.Count, joinFailures, firstJoinError);
    }

    /// <summary>Runs the relay load for <paramref name="duration"/>; latencies are sampled when <paramref name="measure"/>.</summary>
    public async Task<SignalingLoadResult> RunAsync(int inFlight, TimeSpan duration, bool measure, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long total = 0;
        long failed = 0;
        string? firstError = null;
        var latencies = new List<long>[_channels.Length * inFlight];
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var windowEnd = TimeSpan.Zero;
        using var atEnd = stop.Token.Register(() => windowEnd = clock.Elapsed);
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
                    long failures = 0;
                    while (!stop.IsCancellationRequested)
                    {
                        var started = Stopwatch.GetTimestamp();
                        try
                        {
                            await channel.RelayAsync(group, peers[next++ % peers.Length], Payload, CancellationToken.None);
                        }
                        catch (SignalingException e)
                        {
                            failures += stop.IsCancellationRequested ? 0 : 1;
                            Interlocked.CompareExchange(ref firstError, $"{(int)e.Code} {e.Message}", null);
                            continue;
                        }

                        if (stop.IsCancellationRequested)
                        {
                            break; // came back after the window: neither counted nor sampled
                        }

                        if (measure)
                        {
                            samples.Add(Stopwatch.GetTimestamp() - started);
                        }

                        count++;
                    }

                    Interlocked.Add(ref total, count);
                    Interlocked.Add(ref failed, failures);
                }, CancellationToken.None));
            }
        }

        await Task.WhenAll(loops);
        var elapsed = clock.Elapsed;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds / elapsed.TotalSeconds;
        var seconds = windowEnd.TotalSeconds;
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))] * 1e6 / Stopwatch.Frequency;
        return new SignalingLoadResult(total, seconds, cpu, Percentile(0.5), Percentile(0.99), failed, firstError, (elapsed - windowEnd).TotalSeconds);
    }

    public ValueTask DisposeAsync() => DisposeAllAsync(_channels);

    public static async ValueTask DisposeAllAsync(IEnumerable<WebSocketSignalingChannel?> channels) =>
        await Task.WhenAll(channels.Where(c => c is not null).Select(c => c!.DisposeAsync().AsTask()));
}
