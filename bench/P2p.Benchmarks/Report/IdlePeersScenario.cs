using System.Globalization;
using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Report;

/// <summary>
/// The marginal memory of idle peer connections, alone in a process: N .NET ↔ .NET pairs with an open
/// channel are connected and settled, memory is measured (after a full GC), N more pairs are
/// connected and settled, memory is measured again. Prints "IDLE heapKiB workingSetKiB committedKiB"
/// per connection. Measured against an empty baseline, the first connections would be charged with
/// the pools and caches they warm up.
/// </summary>
public sealed class IdlePeersScenario : IScenario
{
    public string Name => "idle-peers";

    public string Description => "(used by 'all') memory per idle peer connection in this process (--pairs 16)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var pairs = new Args(args).Int("--pairs", 16);
        var links = new List<BenchLink>();
        try
        {
            await AddAsync(links, pairs);
            var before = ProcessMemory.Measure();
            var committedBefore = GC.GetGCMemoryInfo().TotalCommittedBytes;
            await AddAsync(links, pairs);
            var after = ProcessMemory.Measure();
            var committedAfter = GC.GetGCMemoryInfo().TotalCommittedBytes;
            var n = 2.0 * pairs * 1024;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"IDLE {(after.ManagedHeap - before.ManagedHeap) / n:F1} {(after.WorkingSet - before.WorkingSet) / n:F1} {(committedAfter - committedBefore) / n:F1} {System.Diagnostics.Process.GetCurrentProcess().Threads.Count}"));
            return 0;
        }
        finally
        {
            foreach (var link in links)
            {
                await link.DisposeAsync();
            }
        }
    }

    private static async Task AddAsync(List<BenchLink> links, int pairs)
    {
        for (var i = 0; i < pairs; i++)
        {
            var link = await BenchLink.DotNetAsync();
            links.Add(link);
            await link.NewChannelAsync();
        }

        // Let handshakes' transient buffers go and the connections settle into their idle state.
        await Task.Delay(TimeSpan.FromSeconds(2));
    }
}
