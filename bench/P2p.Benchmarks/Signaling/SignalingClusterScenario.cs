using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Signaling;

/// <summary>
/// Relay round trips through a cluster of signaling servers: 3 instances (child processes) sharing one Redis
/// (Debian's redis-server on a free loopback port), 5,000 clients spread over them round-robin in groups of 3 (so
/// every group has its members on three different instances and every relay crosses instances), each keeping one relay
/// in flight; then the same load against one instance with the default in-memory store. Prints both side by side.
/// </summary>
public sealed class SignalingClusterScenario : IScenario
{
    public string Name => "signaling-cluster";

    public string Description => "relays/s and p50/p99 through 3 instances sharing Redis vs 1 in-memory instance (--clients 5000 --instances 3 --group-size 3 --in-flight 1 --seconds 10 --warmup 3 [--skip-single])";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Args(args);
        var load = new SignalingClusterLoad(
            Clients: a.Int("--clients", 5000),
            GroupSize: Math.Max(2, a.Int("--group-size", 3)),
            InFlight: Math.Max(1, a.Int("--in-flight", 1)),
            Seconds: a.Int("--seconds", 10),
            Warmup: Math.Max(0, a.Int("--warmup", 3)));
        var instances = Math.Max(1, a.Int("--instances", 3));
        if (load.Clients < load.GroupSize)
        {
            Console.Error.WriteLine("--clients must be at least --group-size");
            return 2;
        }

        if (FileDescriptorLimit.Hard < load.Clients + 1024)
        {
            Console.Error.WriteLine($"this process may open {FileDescriptorLimit.Hard} files, fewer than {load.Clients} clients need: raise `ulimit -n` first");
            return 2;
        }

        var results = new List<SignalingClusterResult>();
        await using (var redis = await SignalingClusterRun.StartRedisAsync(cancellationToken))
        {
            results.Add(await SignalingClusterRun.RunAsync(instances, SignalingClusterRun.ConnectionString(redis), load, cancellationToken));
        }

        if (!a.Flag("--skip-single"))
        {
            results.Add(await SignalingClusterRun.RunAsync(1, null, load, cancellationToken));
        }

        Console.WriteLine("## signaling-cluster: relay round trips through several signaling instances sharing Redis (loopback)");
        Console.WriteLine();
        Console.WriteLine($"{Environment.ProcessorCount} cores; clients in groups of {load.GroupSize} spread round-robin over the instances, {load.InFlight} relay(s) in flight each, every relay answered by its target; {load.Seconds} s measured after {load.Warmup} s");
        Console.WriteLine();
        SignalingClusterRun.Print(load, results);
        return 0;
    }
}
