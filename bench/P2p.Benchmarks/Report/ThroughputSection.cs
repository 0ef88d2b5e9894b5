using System.Diagnostics;

namespace P2p.Benchmarks.Report;

/// <summary>
/// Bulk throughput on a reliable ordered channel with back-pressure (4 MiB high / 1 MiB low water on
/// every sender): .NET→.NET, .NET→Chromium, Chromium→.NET and Chromium→Chromium; per message size one
/// warm-up transfer, then the median of N. MB/s from the first send to the last byte received.
/// </summary>
internal static class ThroughputSection
{
    public static async Task RunAsync(Settings s, Context c)
    {
        var total = (long)s.Mib << 20;
        var ours = new Dictionary<(string, int), List<double>>();
        var chromium = new Dictionary<int, List<double>>();

        await using (var link = await BenchLink.DotNetAsync())
        {
            foreach (var kib in s.MessageKib)
            {
                ours[(".NET → .NET", kib)] = await RunsAsync(link, link.Offerer, link.Answerer, total, kib, s.Runs);
            }
        }

        if (c.Browser is { } browser)
        {
            await using (var link = await BenchLink.DotNetChromiumAsync(browser, "tput-mixed"))
            {
                foreach (var kib in s.MessageKib)
                {
                    ours[(".NET → Chromium", kib)] = await RunsAsync(link, link.Offerer, link.Answerer, total, kib, s.Runs);
                    ours[("Chromium → .NET", kib)] = await RunsAsync(link, link.Answerer, link.Offerer, total, kib, s.Runs);
                }
            }

            await using (var link = await BenchLink.ChromiumAsync(browser, "tput-chromium"))
            {
                foreach (var kib in s.MessageKib)
                {
                    chromium[kib] = await RunsAsync(link, link.Offerer, link.Answerer, total, kib, s.Runs);
                }
            }
        }

        foreach (var kib in s.MessageKib)
        {
            var reference = chromium.GetValueOrDefault(kib);
            foreach (var ((pairing, size), rates) in ours.Where(o => o.Key.Item2 == kib))
            {
                var dotnetOnly = pairing == ".NET → .NET";
                c.Table.Add("throughput", $"{pairing}, {kib} KiB messages, {s.Mib} MiB (MB/s)", rates, reference, "F1",
                    dotnetOnly ? "≥ 3× Chromium" : "≥ 1× Chromium",
                    reference is null ? null : (m, r) => m >= (dotnetOnly ? 3 : 1) * r!.Value);
            }
        }
    }

    /// <summary>One warm-up transfer, then <paramref name="runs"/> measured ones, each on a new channel.</summary>
    private static async Task<List<double>> RunsAsync(BenchLink link, IBenchEnd from, IBenchEnd to, long total, int kib, int runs)
    {
        var rates = new List<double>();
        for (var run = 0; run <= runs; run++)
        {
            var rate = await TransferAsync(link, from, to, total, kib << 10);
            Console.Error.WriteLine($"    {from.Kind} → {to.Kind}, {kib} KiB: {rate:F1} MB/s{(run == 0 ? " (warm-up)" : "")}");
            if (run > 0)
            {
                rates.Add(rate);
            }
        }

        return rates;
    }

    public static async Task<double> TransferAsync(BenchLink link, IBenchEnd from, IBenchEnd to, long total, int size)
    {
        var id = await link.NewChannelAsync();
        await to.ArmCountAsync(id, total);
        var workItems = ThreadPool.CompletedWorkItemCount;
        var clock = Stopwatch.StartNew();
        var send = from.SendBulkAsync(id, total, size);
        await to.ReceivedAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        await send;
        Console.Error.WriteLine($"      ({(ThreadPool.CompletedWorkItemCount - workItems) / (double)(total >> 20):F1} thread-pool work items per MiB in this process)");
        await link.CloseChannelAsync(id);
        return total / seconds / 1e6;
    }
}
