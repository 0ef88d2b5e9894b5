using System.Globalization;
using P2p.Benchmarks.Common;
using P2p.Testing;

namespace P2p.Benchmarks.Signaling;

/// <summary>How one side of the cluster comparison is loaded.</summary>
/// <param name="Clients">WebSocket clients, spread round-robin over the instances.</param>
/// <param name="GroupSize">Members per group (consecutive clients, so on different instances where possible).</param>
/// <param name="InFlight">Relays each client keeps in flight.</param>
/// <param name="Seconds">Measured seconds.</param>
/// <param name="Warmup">Unmeasured seconds before.</param>
internal sealed record SignalingClusterLoad(int Clients, int GroupSize, int InFlight, int Seconds, int Warmup);

/// <summary>What one side measured.</summary>
/// <param name="Setup">"3 instances + Redis", "1 instance, in memory".</param>
/// <param name="Instances">Server processes.</param>
/// <param name="Groups">Groups formed.</param>
/// <param name="SpreadGroups">Groups whose members sit on more than one instance.</param>
/// <param name="JoinFailures">Joins the servers refused.</param>
/// <param name="FirstJoinError">The first refused join, or null.</param>
/// <param name="Load">The measured window.</param>
internal sealed record SignalingClusterResult(string Setup, int Instances, int Groups, int SpreadGroups, int JoinFailures, string? FirstJoinError, SignalingLoadResult Load);

/// <summary>
/// The signaling server as a cluster: N instances, each in a child process of its own, sharing one Redis
/// (<c>--P2pSignaling:Redis</c>), or one instance with the default in-memory store; the same relay load as the
/// <c>signaling</c> scenario (<see cref="SignalingLoad"/>), its clients spread over the instances.
/// </summary>
internal static class SignalingClusterRun
{
    /// <summary>Starts a Redis on 127.0.0.1 and a free port (Debian's redis-server, stopped by PID).</summary>
    public static async Task<IAsyncDisposable> StartRedisAsync(CancellationToken ct) => await RedisServer.StartAsync(cancellationToken: ct);

    /// <summary>The connection string of a Redis from <see cref="StartRedisAsync"/>.</summary>
    public static string ConnectionString(IAsyncDisposable redis) => ((RedisServer)redis).ConnectionString;

    /// <summary>Runs the load against <paramref name="instances"/> instances (sharing <paramref name="redis"/> when not null).</summary>
    public static async Task<SignalingClusterResult> RunAsync(int instances, string? redis, SignalingClusterLoad load, CancellationToken ct)
    {
        var perInstance = (load.Clients + instances - 1) / instances;
        var args = redis is null ? [] : new[] { "--P2pSignaling:Redis", redis };
        var servers = new List<SignalingServerProcess>();
        try
        {
            for (var i = 0; i < instances; i++)
            {
                servers.Add(await SignalingServerProcess.StartAsync(perInstance, args));
            }

            var uris = servers.Select(s => s.Uri).ToArray();
            var setup = redis is null ? $"{instances} instance{(instances == 1 ? "" : "s")}, in-memory store" : $"{instances} instances + Redis";
            Console.Error.WriteLine($"    {setup}: connecting {load.Clients} clients to {string.Join(", ", uris.Select(u => u.Authority))}");
            var (channels, ids) = await SignalingLoad.ConnectAsync(uris, load.Clients, ct);
            await using var relays = await SignalingLoad.FormGroupsAsync(channels, ids, load.GroupSize, ct);
            var spread = SpreadGroups(load.Clients, load.GroupSize, instances);
            Console.Error.WriteLine($"    {setup}: {relays.Groups} groups ({spread} over several instances), {relays.JoinFailures} joins refused{(relays.FirstJoinError is { } e ? $" (first: {e})" : "")}");
            if (load.Warmup > 0)
            {
                await relays.RunAsync(load.InFlight, TimeSpan.FromSeconds(load.Warmup), measure: false, ct);
            }

            var r = await relays.RunAsync(load.InFlight, TimeSpan.FromSeconds(load.Seconds), measure: true, ct);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {setup}: {r.RelaysPerSecond:F0} relays/s, p50 {r.P50Us / 1000:F1} ms, p99 {r.P99Us / 1000:F1} ms, last in-flight relays back {r.DrainSeconds:F1} s after the window, {r.Failed} failed{(r.FirstError is { } f ? $" (first: {f})" : "")}"));
            return new SignalingClusterResult(setup, instances, relays.Groups, spread, relays.JoinFailures, relays.FirstJoinError, r);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>Groups (formed as <see cref="SignalingLoad.FormGroupsAsync"/> does, client k on instance k mod n) with members on more than one instance.</summary>
    public static int SpreadGroups(int clients, int groupSize, int instances)
    {
        var spread = 0;
        for (var start = 0; start < clients; start += groupSize)
        {
            var end = Math.Min(clients, start + groupSize);
            if (end - start < 2 && start > 0)
            {
                break; // joined the previous group
            }

            if (instances > 1 && end - start > 1)
            {
                spread++;
            }
        }

        return spread;
    }

    /// <summary>Both sides as a markdown table.</summary>
    public static void Print(SignalingClusterLoad load, IEnumerable<SignalingClusterResult> results)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"| setup | clients | groups (over several instances) | joins refused | relays/s | failed relays/s | p50 ms | p99 ms | last relay back after (s) | load CPU (cores) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var l = r.Load;
            Console.WriteLine(string.Create(inv,
                $"| {r.Setup} | {load.Clients} | {r.Groups} ({r.SpreadGroups}) | {r.JoinFailures} | {l.RelaysPerSecond:F0} | {l.Failed / l.Seconds:F0} | {l.P50Us / 1000:F1} | {l.P99Us / 1000:F1} | {l.DrainSeconds:F1} | {l.CpuCores:F2} |"));
        }

        foreach (var r in results.Where(r => r.Load.FirstError is not null || r.FirstJoinError is not null))
        {
            Console.WriteLine();
            Console.WriteLine($"{r.Setup}: first refused join: {r.FirstJoinError ?? "none"}; first failed relay: {r.Load.FirstError ?? "none"}");
        }
    }
}
