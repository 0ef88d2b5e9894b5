using System.Globalization;
using P2p.Benchmarks.Common;
using P2p.Signaling.Server;
using P2p.Signaling.WebSockets;

namespace P2p.Benchmarks.Signaling;

/// <summary>
/// Relay round trips through the signaling server: the server runs in-process on a free loopback
/// port, N clients (our WebSocket client) join groups and relay to the other members of their group,
/// each keeping C relays in flight; every relay is answered by the target's handler. Also measures
/// memory per idle connection (client and server side together, both in this process). The `all`
/// scenario runs the same load against a server in a child process and reports the server's memory apart.
/// </summary>
public sealed class SignalingScenario : IScenario
{
    public string Name => "signaling";

    public string Description => "relay round trips/s through the signaling server (--clients 200 --seconds 10 --group-size 4 --in-flight 8 --warmup 5 [--url ws://127.0.0.1:3001/])";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Args(args);
        var clients = a.Int("--clients", 200);
        var seconds = a.Int("--seconds", 10);
        var groupSize = Math.Max(2, a.Int("--group-size", 4));
        var inFlight = Math.Max(1, a.Int("--in-flight", 8));
        var warmup = Math.Max(0, a.Int("--warmup", 5));
        if (clients < groupSize)
        {
            Console.Error.WriteLine("--clients must be at least --group-size");
            return 2;
        }

        // --url ws://HOST:PORT/ measures an external server (e.g. `dotnet run --project src/P2p.Signaling.Server`)
        // instead of starting one in this process; memory figures are then the clients' only.
        var external = a.String("--url");
        await using var server = external is null ? await EmbeddedSignalingServer.StartAsync(cancellationToken: cancellationToken) : null;
        var uri = server?.Uri ?? new Uri(external!);

        var before = ProcessMemory.Measure();
        var (channels, ids) = await SignalingLoad.ConnectAsync(uri, clients, cancellationToken);
        var after = ProcessMemory.Measure();
        await using var load = await SignalingLoad.FormGroupsAsync(channels, ids, groupSize, cancellationToken);
        await load.RunAsync(inFlight, TimeSpan.FromSeconds(warmup), measure: false, cancellationToken);
        var r = await load.RunAsync(inFlight, TimeSpan.FromSeconds(seconds), measure: true, cancellationToken);

        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine("## signaling: relay round trips through P2p.Signaling.Server (loopback)");
        Console.WriteLine();
        Console.WriteLine($"{Environment.ProcessorCount} cores, server GC: {System.Runtime.GCSettings.IsServerGC}");
        Console.WriteLine();
        Console.WriteLine("| clients | group size | in flight / client | seconds | relays | relays/s | CPU (cores) | p50 µs | p99 µs |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(inv, $"| {clients} | {groupSize} | {inFlight} | {r.Seconds:0.0} | {r.Relays} | {r.RelaysPerSecond:0} | {r.CpuCores:0.00} | {r.P50Us:0} | {r.P99Us:0} |"));
        Console.WriteLine();
        Console.WriteLine("| idle connections | managed heap / connection | working set / connection |");
        Console.WriteLine("|---:|---:|---:|");
        Console.WriteLine(string.Create(inv, $"| {clients} | {(after.ManagedHeap - before.ManagedHeap) / (double)clients / 1024:0.0} KiB | {(after.WorkingSet - before.WorkingSet) / (double)clients / 1024:0.0} KiB |"));
        Console.WriteLine();
        Console.WriteLine(external is null
            ? "(server in this process: CPU and memory count both ends of each connection)"
            : $"(external server at {external}: CPU and memory are the clients' only)");
        return 0;
    }
}
