using System.Globalization;
using P2p.Benchmarks.Signaling;

namespace P2p.Benchmarks.Report;

/// <summary>
/// Memory of an idle peer connection (N connected .NET ↔ .NET pairs with an open channel, after a full
/// GC: managed heap and working set growth per connection), and bytes allocated in the whole process
/// per message on the steady-state hot path: 32-byte ping-pong on a data channel, 64 KiB bulk with
/// back-pressure, and a 32-byte UnicastAsync request/reply through the group API.
/// </summary>
internal static class MemorySection
{
    public static async Task RunAsync(Settings s, Context c, CancellationToken ct)
    {
        await IdleConnectionsAsync(s, c);
        await AllocationsAsync(s, c, ct);
    }

    private static async Task IdleConnectionsAsync(Settings s, Context c)
    {
        await using (await BenchLink.DotNetAsync())
        {
            // warm-up: JIT, pools, certificate
        }

        var before = ProcessMemory.Measure();
        var links = new List<BenchLink>();
        try
        {
            for (var i = 0; i < s.IdlePeerPairs; i++)
            {
                links.Add(await BenchLink.DotNetAsync());
            }

            // Let handshakes' transient buffers go and the connections settle into their idle state.
            await Task.Delay(TimeSpan.FromSeconds(2));
            var after = ProcessMemory.Measure();
            var connections = 2.0 * s.IdlePeerPairs;
            var heap = (after.ManagedHeap - before.ManagedHeap) / 1024.0 / connections;
            var ws = (after.WorkingSet - before.WorkingSet) / 1024.0 / connections;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {connections} idle peer connections: {heap:F1} KiB heap, {ws:F1} KiB working set each"));
            c.Table.Add("memory", $"per idle peer connection, {connections:F0} connected (KiB): managed heap / working set",
                string.Create(CultureInfo.InvariantCulture, $"{heap:F1} / {ws:F1}"), "≤ 100 KiB", heap <= 100 && ws <= 100);
        }
        finally
        {
            foreach (var link in links)
            {
                await link.DisposeAsync();
            }
        }
    }

    private static async Task AllocationsAsync(Settings s, Context c, CancellationToken ct)
    {
        var count = s.AllocationMessages;
        await using (var link = await BenchLink.DotNetAsync())
        {
            var id = await link.NewChannelAsync();
            await link.Answerer.EchoAsync(id);
            await link.Offerer.PingPongAsync(id, count / 4, 32, 0); // warm-up
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await link.Offerer.PingPongAsync(id, count, 32, 0);
            var perMessage = (GC.GetTotalAllocatedBytes(precise: true) - before) / (2.0 * count);
            c.Table.Add("memory", $"allocated per 32 B message sent + received, data channel ping-pong, {count} round trips (B)",
                perMessage.ToString("F0", CultureInfo.InvariantCulture), "0", perMessage < 1);

            var bulk = (long)Math.Min(s.Mib, 32) << 20;
            const int Size = 64 << 10;
            await ThroughputSection.TransferAsync(link, link.Offerer, link.Answerer, bulk, Size); // warm-up
            before = GC.GetTotalAllocatedBytes(precise: true);
            await ThroughputSection.TransferAsync(link, link.Offerer, link.Answerer, bulk, Size);
            var perBulk = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)(bulk / Size);
            c.Table.Add("memory", $"allocated per 64 KiB message sent + received, bulk with back-pressure, {bulk >> 20} MiB (B)",
                string.Create(CultureInfo.InvariantCulture, $"{perBulk:F0} ({perBulk / Size:P0} of the payload)"), "0", perBulk < 1);
        }

        await using var pair = await GroupPair.ConnectAsync(c, ct);
        pair.B.RequestHandler = (_, data, _) => ValueTask.FromResult(data);
        var target = pair.B.LocalMember.Id;
        var message = new byte[32];
        var requests = Math.Max(1, count / 4);
        await DotNetEnd.BlockingRoundTrips(requests / 4, 0, () => pair.A.UnicastAsync(target, message, ct).GetAwaiter().GetResult(), null);
        var start = GC.GetTotalAllocatedBytes(precise: true);
        await DotNetEnd.BlockingRoundTrips(requests, 0, () => pair.A.UnicastAsync(target, message, ct).GetAwaiter().GetResult(), null);
        var perRequest = (GC.GetTotalAllocatedBytes(precise: true) - start) / (double)requests;
        c.Table.Add("memory", $"allocated per 32 B UnicastAsync request + reply, group API, {requests} requests (B)",
            perRequest.ToString("F0", CultureInfo.InvariantCulture));
    }
}
