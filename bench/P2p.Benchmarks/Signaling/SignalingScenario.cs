using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2p.Signaling.WebSockets;

namespace P2p.Benchmarks.Signaling;

/// <summary>
/// Relay round trips through the signaling server: the server runs in-process on a free loopback
/// port, N clients (our WebSocket client) join groups and relay to the other members of their group,
/// each keeping C relays in flight; every relay is answered by the target's handler. Also measures
/// memory per idle connection (client and server side together, both in this process).
/// </summary>
public sealed class SignalingScenario : IScenario
{
    public string Name => "signaling";

    public string Description => "relay round trips/s through the signaling server (--clients 200 --seconds 10 --group-size 4 --in-flight 8 --warmup 5 [--url ws://127.0.0.1:3001/])";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var clients = IntArg(args, "--clients", 200);
        var seconds = IntArg(args, "--seconds", 10);
        var groupSize = Math.Max(2, IntArg(args, "--group-size", 4));
        var inFlight = Math.Max(1, IntArg(args, "--in-flight", 8));
        var warmup = Math.Max(0, IntArg(args, "--warmup", 5));
        if (clients < groupSize)
        {
            Console.Error.WriteLine("--clients must be at least --group-size");
            return 2;
        }

        // --url ws://HOST:PORT/ measures an external server (e.g. `dotnet run --project src/P2p.Signaling.Server`)
        // instead of starting one in this process; memory figures are then the clients' only.
        var external = StringArg(args, "--url");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddP2pSignaling(o => o.MaxPendingRelaysPerConnection = Math.Max(4096, inFlight * 2));
        await using var app = builder.Build();
        app.MapP2pSignaling("/");
        Uri uri;
        if (external is null)
        {
            await app.StartAsync(cancellationToken);
            uri = new Uri(app.Urls.First().Replace("http://", "ws://", StringComparison.Ordinal) + "/");
        }
        else
        {
            uri = new Uri(external);
        }

        // ---- memory per idle connection ----
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var workingSetBefore = Environment.WorkingSet;
        var options = new WebSocketSignalingChannelOptions { RequestTimeout = TimeSpan.FromSeconds(60) };
        var channels = new WebSocketSignalingChannel[clients];
        for (var i = 0; i < clients; i += 50)
        {
            var batch = Enumerable.Range(i, Math.Min(50, clients - i)).Select(async k => channels[k] = await WebSocketSignalingChannel.ConnectAsync(uri, options, null, cancellationToken));
            await Task.WhenAll(batch);
        }

        var ids = await Task.WhenAll(channels.Select(c => c.InitAsync(cancellationToken)));
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        var workingSetAfter = Environment.WorkingSet;

        try
        {
            // ---- groups: consecutive clients, groupSize each (the last group takes the remainder) ----
            var groupOf = new int[clients];
            var groups = new List<(string Id, int[] Members)>();
            for (var start = 0; start < clients; start += groupSize)
            {
                var members = Enumerable.Range(start, Math.Min(groupSize, clients - start)).ToArray();
                if (members.Length < 2)
                {
                    // A lone remainder joins the previous group.
                    var last = groups[^1];
                    await channels[members[0]].JoinGroupAsync(last.Id, cancellationToken);
                    groups[^1] = (last.Id, [.. last.Members, members[0]]);
                    groupOf[members[0]] = groups.Count - 1;
                    continue;
                }

                var id = await channels[members[0]].CreateGroupAsync(null, cancellationToken);
                await Task.WhenAll(members.Skip(1).Select(m => channels[m].JoinGroupAsync(id, cancellationToken)));
                foreach (var m in members)
                {
                    groupOf[m] = groups.Count;
                }

                groups.Add((id, members));
            }

            var answer = JsonElement.Parse("""{"type":"answer","sdp":"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}""");
            foreach (var c in channels)
            {
                c.RelayHandler = (_, _) => ValueTask.FromResult(answer);
            }

            var payload = JsonElement.Parse("""{"type":"candidate","candidate":"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}""");

            // ---- warm-up (lets tiered JIT reach its optimised code), then the measured run ----
            await RunLoadAsync(channels, ids, groups, groupOf, inFlight, payload, TimeSpan.FromSeconds(warmup), null, cancellationToken);
            var latencies = new List<long>[clients * inFlight];
            var stopwatch = Stopwatch.StartNew();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var relays = await RunLoadAsync(channels, ids, groups, groupOf, inFlight, payload, TimeSpan.FromSeconds(seconds), latencies, cancellationToken);
            var elapsed = stopwatch.Elapsed;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

            var all = latencies.Where(l => l is not null).SelectMany(l => l).ToArray();
            Array.Sort(all);
            double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))] * 1_000_000.0 / Stopwatch.Frequency;

            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine("## signaling: relay round trips through P2p.Signaling.Server (in-process, loopback)");
            Console.WriteLine();
            Console.WriteLine($"{Environment.ProcessorCount} cores, server GC: {System.Runtime.GCSettings.IsServerGC}");
            Console.WriteLine();
            Console.WriteLine("| clients | group size | in flight / client | seconds | relays | relays/s | CPU (cores) | p50 µs | p99 µs |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            Console.WriteLine(string.Create(inv, $"| {clients} | {groupSize} | {inFlight} | {elapsed.TotalSeconds:0.0} | {relays} | {relays / elapsed.TotalSeconds:0} | {cpu.TotalSeconds / elapsed.TotalSeconds:0.00} | {Percentile(0.5):0} | {Percentile(0.99):0} |"));
            Console.WriteLine();
            Console.WriteLine("| idle connections | managed heap / connection | working set / connection |");
            Console.WriteLine("|---:|---:|---:|");
            Console.WriteLine(string.Create(inv, $"| {clients} | {(heapAfter - heapBefore) / (double)clients / 1024:0.0} KiB | {(workingSetAfter - workingSetBefore) / (double)clients / 1024:0.0} KiB |"));
            Console.WriteLine();
            Console.WriteLine(external is null
                ? "(server in this process: CPU and memory count both ends of each connection)"
                : $"(external server at {external}: CPU and memory are the clients' only)");
            return 0;
        }
        finally
        {
            await Task.WhenAll(channels.Where(c => c is not null).Select(c => c.DisposeAsync().AsTask()));
            if (external is null)
            {
                await app.StopAsync(CancellationToken.None);
            }
        }
    }

    private static async Task<long> RunLoadAsync(
        WebSocketSignalingChannel[] channels,
        string[] ids,
        List<(string Id, int[] Members)> groups,
        int[] groupOf,
        int inFlight,
        JsonElement payload,
        TimeSpan duration,
        List<long>[]? latencies,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(duration);
        long total = 0;
        var loops = new List<Task>();
        for (var i = 0; i < channels.Length; i++)
        {
            var (groupId, members) = groups[groupOf[i]];
            var peers = members.Where(m => m != i).Select(m => ids[m]).ToArray();
            for (var k = 0; k < inFlight; k++)
            {
                var channel = channels[i];
                var slot = i * inFlight + k;
                var samples = latencies is null ? null : latencies[slot] = new List<long>(4096);
                loops.Add(Task.Run(async () =>
                {
                    var next = slot;
                    long count = 0;
                    while (!stop.IsCancellationRequested)
                    {
                        var started = Stopwatch.GetTimestamp();
                        await channel.RelayAsync(groupId, peers[next++ % peers.Length], payload, CancellationToken.None);
                        samples?.Add(Stopwatch.GetTimestamp() - started);
                        count++;
                    }

                    Interlocked.Add(ref total, count);
                }, CancellationToken.None));
            }
        }

        await Task.WhenAll(loops);
        return total;
    }

    private static string? StringArg(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }
}
