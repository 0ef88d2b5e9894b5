using System.Globalization;
using P2p.Benchmarks.Common;
using P2p.WebRtc.DataChannels;

namespace P2p.Benchmarks.Report;

/// <summary>
/// Memory of an idle peer connection (N connected .NET ↔ .NET pairs with an open channel, after a full
/// GC: managed heap and working set growth per connection), and bytes allocated in the whole process
/// per message on the steady-state hot path: 32-byte ping-pong on a data channel, 64 KiB bulk with
/// back-pressure (each received as an array, and again through the pooled receive API: a lease the handler disposes),
/// and a 32-byte UnicastAsync request/reply through the group API. The array rows count what the stack allocates beyond
/// what the receiver is handed and owns (its array and event args); the bulk rows are the steady state, without what
/// each transfer costs once (see <see cref="SteadyStateAsync"/>).
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
        var output = await ChildProcess.RunAsync("idle-peers", TimeSpan.FromMinutes(3), "--pairs", s.IdlePeerPairs.ToString(CultureInfo.InvariantCulture));
        var line = output.Split('\n').Single(l => l.StartsWith("IDLE ", StringComparison.Ordinal)).Split(' ');
        double F(int i) => double.Parse(line[i], CultureInfo.InvariantCulture);
        var (heap, ws, committed) = (F(1), F(2), F(3));
        Console.Error.WriteLine($"    idle peer connections: {heap:F1} KiB heap, {ws:F1} KiB working set, {committed:F1} KiB GC-committed each");
        c.Table.Add("memory", $"per idle peer connection (open channel; {2 * s.IdlePeerPairs} added to {2 * s.IdlePeerPairs} idle ones in a fresh process), managed heap / working set / GC-committed (KiB)",
            string.Create(CultureInfo.InvariantCulture, $"{heap:F1} / {ws:F1} / {committed:F1}"), "≤ 100 KiB (heap)", heap <= 100);
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
            // Less the bench's own array of round-trip times (a double per round trip).
            var timings = (8L * count) + 24;
            var perMessage = ((GC.GetTotalAllocatedBytes(precise: true) - before - timings) / (2.0 * count)) - HandedToReceiver(32);
            c.Table.Add("memory", $"allocated per 32 B message sent + received beyond the array and event args handed to the receiver ({HandedToReceiver(32)} B), data channel ping-pong, {count} round trips (B)",
                perMessage.ToString("F0", CultureInfo.InvariantCulture), "0", perMessage < 1);

            // A transfer of the whole size and one of twice that, each on a channel of its own: their difference divided
            // by the extra messages is the cost per message, without the channel's opening and closing.
            var bulk = (long)Math.Min(s.Mib, 32) << 20;
            const int Size = 64 << 10;
            await ThroughputSection.TransferAsync(link, link.Offerer, link.Answerer, bulk, Size); // warm-up
            var (perMessageBulk, _) = await SteadyStateAsync(bulk, Size, total => ThroughputSection.TransferAsync(link, link.Offerer, link.Answerer, total, Size));
            var perBulk = perMessageBulk - HandedToReceiver(Size);
            c.Table.Add("memory", $"allocated per 64 KiB message sent + received beyond the array and event args handed to the receiver ({HandedToReceiver(Size)} B), bulk with back-pressure, steady state ({2 * bulk >> 20} MiB less {bulk >> 20} MiB, median of 3) (B)",
                perBulk.ToString("F1", CultureInfo.InvariantCulture), "0", perBulk < 0.5);
        }

        await PooledAllocationsAsync(s, c);

        await using var pair = await GroupPair.ConnectAsync(c, ct);
        var requests = Math.Max(1, count / 4);
        await pair.RoundTripsAsync(requests / 4, 0, ct);
        var start = GC.GetTotalAllocatedBytes(precise: true);
        await pair.RoundTripsAsync(requests, 0, ct);
        var perRequest = (GC.GetTotalAllocatedBytes(precise: true) - start) / (double)requests;
        c.Table.Add("memory", $"allocated per 32 B UnicastAsync request + reply, group API, {requests} requests (B)",
            perRequest.ToString("F0", CultureInfo.InvariantCulture), "≤ 300 B", perRequest <= 300);
    }

    /// <summary>
    /// The same ping-pong and bulk transfer received through the pooled API (RtcDataChannel.PooledMessageReceived: a
    /// lease of a pooled buffer, disposed by the handler): nothing is handed to the receiver to keep, so the target is 0.
    /// </summary>
    private static async Task PooledAllocationsAsync(Settings s, Context c)
    {
        var count = s.AllocationMessages;
        await using var link = await BenchLink.DotNetAsync();
        var offerer = (DotNetEnd)link.Offerer;
        var answerer = (DotNetEnd)link.Answerer;
        var id = await link.NewChannelAsync();
        await answerer.EchoPooledAsync(id);
        await offerer.PingPongPooledAsync(id, count / 4, 32); // warm-up
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await offerer.PingPongPooledAsync(id, count, 32);
        var perMessage = (GC.GetTotalAllocatedBytes(precise: true) - before) / (2.0 * count);
        c.Table.Add("memory", $"allocated per 32 B message sent + received, pooled receive API (a lease the handler disposes), data channel ping-pong, {count} round trips (B)",
            perMessage.ToString("F0", CultureInfo.InvariantCulture), "0", perMessage < 1);

        // One channel for the warm-ups and the measured transfers: the row is the steady state's cost per message, without
        // a channel's set-up and close. Two warm-ups: the association's packet pools reach their peak at the first burst
        // of loss on the loopback (the receiver falling behind on a loaded machine), which the first transfer may not see.
        // Then a transfer of the whole size and one of twice that: their difference divided by the extra messages is the
        // cost per message, without what each transfer costs once (the bench's own arming and awaiting, a few hundred B).
        var bulk = (long)Math.Min(s.Mib, 32) << 20;
        const int Size = 64 << 10;
        var bulkId = await link.NewChannelAsync();
        await PooledTransferAsync(offerer, answerer, bulkId, bulk, Size); // warm-up
        await PooledTransferAsync(offerer, answerer, bulkId, bulk, Size);
        var (perBulk, once) = await SteadyStateAsync(bulk, Size, total => PooledTransferAsync(offerer, answerer, bulkId, total, Size));
        c.Table.Add("memory", $"allocated per 64 KiB message sent + received, pooled receive API, bulk with back-pressure on one channel, steady state ({2 * bulk >> 20} MiB less {bulk >> 20} MiB, median of 3) (B)",
            perBulk.ToString("F1", CultureInfo.InvariantCulture), "0", perBulk < 0.5);
        c.Table.Add("memory", $"allocated once per pooled bulk transfer of {bulk >> 20} MiB, beyond its messages (the bench's arming and awaiting) (B)",
            once.ToString("F0", CultureInfo.InvariantCulture));
        await link.CloseChannelAsync(bulkId);
    }

    /// <summary>What the array API hands the receiver of one message, measured: its array and its event args.</summary>
    private static long HandedToReceiver(int size)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(new RtcDataChannelMessageEventArgs(false, new byte[size]));
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>
    /// Bytes allocated per message of a bulk transfer in the steady state, and once per transfer: transfers of
    /// <paramref name="bulk"/> bytes and of twice that, whose difference divided by the extra messages is the cost per
    /// message without what each transfer costs once. The median of three such pairs: a pool that grows at a rare burst of
    /// loss on the loopback (the receiver falling behind) lands in one pair, not in the figure.
    /// </summary>
    private static async Task<(double PerMessage, double Once)> SteadyStateAsync(long bulk, int size, Func<long, Task> transfer)
    {
        var pairs = new List<(double PerMessage, double Once)>();
        for (var i = 0; i < 3; i++)
        {
            var single = await AllocatedByAsync(() => transfer(bulk));
            var twice = await AllocatedByAsync(() => transfer(2 * bulk));
            pairs.Add(((twice - single) / (double)(bulk / size), (2 * single) - twice));
        }

        return pairs.OrderBy(p => p.PerMessage).ElementAt(1);
    }

    private static async Task<long> AllocatedByAsync(Func<Task> action)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await action();
        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }

    private static async Task PooledTransferAsync(DotNetEnd from, DotNetEnd to, int id, long total, int size)
    {
        await to.ArmCountPooledAsync(id, total);
        await from.SendBulkAsync(id, total, size);
        await to.ReceivedAsync();
    }
}
