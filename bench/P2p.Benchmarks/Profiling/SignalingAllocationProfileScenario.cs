using System.Globalization;
using P2p.Benchmarks.Common;
using P2p.Benchmarks.Signaling;
using P2p.Signaling.Server;

namespace P2p.Benchmarks.Profiling;

/// <summary>
/// What a relay allocates, server and clients together in one process (the embedded server, our WebSocket clients in
/// groups of 4, 8 relays in flight each): bytes per relay and the allocating types by share (GC AllocationTick sampling).
/// </summary>
public sealed class SignalingAllocationProfileScenario : IScenario
{
    public string Name => "alloc-profile-signaling";

    public string Description => "what a signaling relay allocates, server + clients in one process, by type (--clients 200 --seconds 5 --top 30)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Args(args);
        var clients = a.Int("--clients", 200);
        var seconds = a.Int("--seconds", 5);
        var top = a.Int("--top", 30);
        await using var server = await EmbeddedSignalingServer.StartAsync(cancellationToken: cancellationToken);
        var (channels, ids) = await SignalingLoad.ConnectAsync(server.Uri, clients, cancellationToken);
        await using var load = await SignalingLoad.FormGroupsAsync(channels, ids, 4, cancellationToken);
        await load.RunAsync(8, TimeSpan.FromSeconds(2), measure: false, cancellationToken);

        using var sampler = new AllocationSampler();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        sampler.Start();
        var result = await load.RunAsync(8, TimeSpan.FromSeconds(seconds), measure: true, cancellationToken);
        sampler.Stop();
        var perRelay = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)Math.Max(1, result.Relays);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clients} clients: {result.RelaysPerSecond:F0} relays/s (server and clients in one process), {perRelay:F0} B allocated per relay"));
        foreach (var (type, share) in sampler.Shares().Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {share * 100,5:F1} %  ~{share * perRelay,6:F0} B  {type}"));
        }

        return 0;
    }
}
