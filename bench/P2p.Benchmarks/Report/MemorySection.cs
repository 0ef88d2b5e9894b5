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

    /// <summary>
    /// The marginal cost of idle connections: N pairs are connected and settled, memory is measured, N
    /// more pairs are connected and settled, memory is measured again; the difference over 2N
    /// connections. (Measuring against an empty baseline would count pools and caches that the first
    /// connections warm up, or that earlier sections left behind and a full GC trims.)
    /// </summary>
    private static async Task IdleConnectionsAsync(Settings s, Context c)
    {
        var links = new List<BenchLink>();
        try
        {
            await AddAsync(links, s.IdlePeerPairs);
            var before = ProcessMemory.Measure();
            await AddAsync(links, s.IdlePeerPairs);
            var after = ProcessMemory.Measure();
            var connections = 2.0 * s.IdlePeerPairs;
            var heap = (after.ManagedHeap - before.ManagedHeap) / 1024.0 / connections;
            var ws = (after.WorkingSet - before.WorkingSet) / 1024.0 / connections;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {connections} more idle peer connections: {heap:F1} KiB heap, {ws:F1} KiB working set each"));
            c.Table.Add("memory", $"per idle peer connection (open channel, {connections:F0} added to {connections:F0} idle ones), managed heap / working set (KiB)",
                string.Create(CultureInfo.InvariantCulture, $"{heap:F1} / {ws:F1}"), "≤ 100 KiB (heap)", heap <= 100);
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
            c.Table.Add("memory", $"allocated per 32 B message sent + received (incl. the array and event args handed to the receiver), data channel ping-pong, {count} round trips (B)",
                perMessage.ToString("F0", CultureInfo.InvariantCulture), "0", perMessage < 1);

            var bulk = (long)Math.Min(s.Mib, 32) << 20;
            const int Size = 64 << 10;
            await ThroughputSection.TransferAsync(link, link.Offerer, link.Answerer, bulk, Size); // warm-up
            before = GC.GetTotalAllocatedBytes(precise: true);
            await ThroughputSection.TransferAsync(link, link.Offerer, link.Answerer, bulk, Size);
            // The receiver is handed a new array per message (RtcDataChannelMessageEventArgs.Data, which it owns).
            var perBulk = ((GC.GetTotalAllocatedBytes(precise: true) - before) / (double)(bulk / Size)) - Size;
            c.Table.Add("memory", $"allocated per 64 KiB message sent + received beyond the 64 KiB array handed to the receiver, bulk with back-pressure, {bulk >> 20} MiB (B)",
                perBulk.ToString("F0", CultureInfo.InvariantCulture), "0", perBulk < 1);
        }

        await using var pair = await GroupPair.ConnectAsync(c, ct);
        var requests = Math.Max(1, count / 4);
        await pair.RoundTripsAsync(requests / 4, 0, ct);
        var start = GC.GetTotalAllocatedBytes(precise: true);
        await pair.RoundTripsAsync(requests, 0, ct);
        var perRequest = (GC.GetTotalAllocatedBytes(precise: true) - start) / (double)requests;
        c.Table.Add("memory", $"allocated per 32 B UnicastAsync request + reply, group API, {requests} requests (B)",
            perRequest.ToString("F0", CultureInfo.InvariantCulture));
    }
}
