using System.Diagnostics;
using System.Globalization;
using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Report;

/// <summary>
/// Bulk throughput on a reliable ordered channel with back-pressure (4 MiB high / 1 MiB low water on
/// every sender): .NET→.NET, .NET→Chromium, Chromium→.NET and Chromium→Chromium; per message size one
/// warm-up transfer, then the median of N. MB/s from the first send to the last byte received. With the
/// <c>ceilings</c> section in the run, each .NET→.NET figure also as a fraction of the raw-UDP ceiling.
/// </summary>
internal static class ThroughputSection
{
    public static async Task RunAsync(Settings s, Context c)
    {
        var total = (long)s.Mib << 20;
        var links = new List<BenchLink>();
        try
        {
            // Every pairing is measured in turn within each run (not one pairing after the other), so
            // that all of them see the same machine state and their ratios are fair.
            var pairings = new List<(string Name, BenchLink Link, IBenchEnd From, IBenchEnd To)>();
            var ours = await BenchLink.DotNetAsync();
            links.Add(ours);
            pairings.Add((".NET → .NET", ours, ours.Offerer, ours.Answerer));
            if (c.Browser is { } browser)
            {
                var mixed = await BenchLink.DotNetChromiumAsync(browser, "tput-mixed");
                links.Add(mixed);
                var chromium = await BenchLink.ChromiumAsync(browser, "tput-chromium");
                links.Add(chromium);
                pairings.Add((".NET → Chromium", mixed, mixed.Offerer, mixed.Answerer));
                pairings.Add(("Chromium → .NET", mixed, mixed.Answerer, mixed.Offerer));
                pairings.Add(("Chromium → Chromium", chromium, chromium.Offerer, chromium.Answerer));
            }

            foreach (var kib in s.MessageKib)
            {
                var rates = pairings.ToDictionary(p => p.Name, _ => new List<double>());
                for (var run = 0; run <= s.Runs; run++)
                {
                    foreach (var (name, link, from, to) in pairings)
                    {
                        var before = (from as DotNetEnd)?.Connection.SctpMetrics;
                        var rate = await TransferAsync(link, from, to, total, kib << 10);
                        if (before is not null && Environment.GetEnvironmentVariable("P2P_BENCH_TRACE") == "1" && ((DotNetEnd)from).Connection.SctpMetrics is { } after)
                        {
                            Console.Error.WriteLine($"      sender SCTP: {after.PacketsSent - before.PacketsSent} packets, {after.DataChunksRetransmitted - before.DataChunksRetransmitted} chunks retransmitted, {after.FastRetransmits - before.FastRetransmits} fast retransmits, {after.T3Expirations - before.T3Expirations} T3 expirations, {after.SacksReceived - before.SacksReceived} SACKs; cwnd {after.CongestionWindow}, ssthresh {after.SlowStartThreshold}, peer rwnd {after.PeerReceiveWindow}, srtt {after.SmoothedRtt?.TotalMilliseconds:F1} ms, rto {after.Rto.TotalMilliseconds:F0} ms");
                        }

                        Console.Error.WriteLine($"    {name}, {kib} KiB: {rate:F1} MB/s{(run == 0 ? " (warm-up)" : "")}");
                        if (run > 0)
                        {
                            rates[name].Add(rate);
                        }
                    }
                }

                var reference = rates.GetValueOrDefault("Chromium → Chromium");
                foreach (var (name, _, _, _) in pairings.Where(p => p.Name != "Chromium → Chromium"))
                {
                    var dotnetOnly = name == ".NET → .NET";
                    c.Table.Add("throughput", $"{name}, {kib} KiB messages, {s.Mib} MiB (MB/s)", rates[name], reference, "F1",
                        dotnetOnly ? "≥ 3× Chromium" : "≥ 1× Chromium",
                        reference is null ? null : (m, r) => m >= (dotnetOnly ? 3 : 1) * r!.Value);
                    if (dotnetOnly && c.RawUdpCeiling is { } ceiling and > 0)
                    {
                        // Issue 18: ≥ 0.6 of the same run's raw-UDP ceiling on 64 KiB messages.
                        var fraction = Stats.Median(rates[name]) / ceiling;
                        var targeted = kib == 64;
                        c.Table.Add("throughput", $"{name}, {kib} KiB messages, fraction of the raw-UDP ceiling",
                            fraction.ToString("F2", CultureInfo.InvariantCulture), targeted ? "≥ 0.6" : "", targeted ? fraction >= 0.6 : null);
                    }
                }
            }
        }
        finally
        {
            foreach (var link in links)
            {
                await link.DisposeAsync();
            }
        }
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
