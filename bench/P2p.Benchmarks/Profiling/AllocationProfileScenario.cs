using System.Globalization;
using P2p.Benchmarks.Common;
using P2p.Benchmarks.Report;
using P2p.Signaling.Server;

namespace P2p.Benchmarks.Profiling;

/// <summary>
/// What the group API allocates per 32-byte UnicastAsync request + reply over WebRTC on 127.0.0.1, in the steady state:
/// bytes per request (<see cref="GC.GetTotalAllocatedBytes"/>) and the allocating types by share (GC AllocationTick
/// sampling). The evidence behind the memory rows of docs/benchmarks.md.
/// </summary>
public sealed class AllocationProfileScenario : IScenario
{
    public string Name => "alloc-profile";

    public string Description => "what a 32 B UnicastAsync request + reply allocates, by type (--requests 20000 --top 25 --inline)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Args(args);
        var requests = a.Int("--requests", 20000);
        var top = a.Int("--top", 25);
        var inline = a.Flag("--inline");
        await using var signaling = await EmbeddedSignalingServer.StartAsync(cancellationToken: cancellationToken);
        var context = new Context { Table = new ReportTable(), Signaling = signaling };
        await using var pair = await GroupPair.ConnectAsync(context, cancellationToken, inline);
        await pair.RoundTripsAsync(requests / 4, 0, cancellationToken);

        using var sampler = new AllocationSampler();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        sampler.Start();
        var rtts = await pair.RoundTripsAsync(requests, 0, cancellationToken);
        sampler.Stop();
        var perRequest = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)requests;
        Array.Sort(rtts);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{requests} requests{(inline ? " (handler inline)" : "")}: {perRequest:F0} B allocated per request + reply; round trip p50 {rtts[rtts.Length / 2]:F0} µs"));
        foreach (var (type, share) in sampler.Shares().Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {share * 100,5:F1} %  ~{share * perRequest,6:F0} B  {type}"));
        }

        return 0;
    }
}
