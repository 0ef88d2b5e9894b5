using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Report;

/// <summary>
/// 32-byte request/reply round trips, one at a time against an echo: .NET↔.NET, .NET↔Chromium (.NET
/// pings), Chromium↔Chromium (timed in the page), and through the group API (IGroup.UnicastAsync
/// between two .NET members, answered by a request handler) to show the SDK's own cost.
/// </summary>
internal static class LatencySection
{
    private const int Warmup = 200;

    public static async Task RunAsync(Settings s, Context c, CancellationToken ct)
    {
        // The data channel and the group API alternate in blocks, so that both see the same machine
        // state (on a VM an idle CPU wakes up slowly, and how idle it is drifts during a run).
        var raw = new List<double>();
        var group = new List<double>();
        var inline = new List<double>();
        await using (var link = await BenchLink.DotNetAsync())
        await using (var pair = await GroupPair.ConnectAsync(c, ct))
        await using (var inlinePair = await GroupPair.ConnectAsync(c, ct, inlineHandler: true))
        {
            const int Blocks = 10;
            var perBlock = Math.Max(1, s.Pings / Blocks);
            for (var b = 0; b < Blocks; b++)
            {
                var warmup = b == 0 ? Warmup : 20;
                raw.AddRange(await PingAsync(link, perBlock, warmup, quiet: true));
                group.AddRange(await pair.RoundTripsAsync(perBlock, warmup, ct));
                inline.AddRange(await inlinePair.RoundTripsAsync(perBlock, warmup, ct));
            }

            Console.Error.WriteLine($"    .NET ↔ .NET: p50 {Stats.Median(raw):F0} µs; group API: p50 {Stats.Median(group):F0} µs");
        }

        double[]? mixed = null;
        double[]? chromium = null;
        if (c.Browser is { } browser)
        {
            await using (var link = await BenchLink.DotNetChromiumAsync(browser, "rtt-mixed"))
            {
                mixed = await PingAsync(link, s.Pings, Warmup);
            }

            await using (var link = await BenchLink.ChromiumAsync(browser, "rtt-chromium"))
            {
                chromium = await PingAsync(link, s.Pings, Warmup);
            }
        }

        var reference = chromium is null ? null : new[] { Stats.Median(chromium) };
        var reference99 = chromium is null ? null : new[] { Stats.Percentile(chromium, 99) };
        void Row(string pairing, double[] rtts, bool target)
        {
            c.Table.Add("latency", $"32 B round trip p50, {pairing} (µs)", [Stats.Median(rtts)], reference, "F0",
                target ? "< Chromium" : "", target && reference is not null ? (m, r) => m < r!.Value : null);
            c.Table.Add("latency", $"32 B round trip p99, {pairing} (µs)", [Stats.Percentile(rtts, 99)], reference99, "F0");
        }

        Row(".NET ↔ .NET data channel", [.. raw], true);
        if (mixed is not null)
        {
            Row(".NET ↔ Chromium data channel", mixed, true);
        }

        Row(".NET ↔ .NET, group API UnicastAsync", [.. group], false);
        Row(".NET ↔ .NET, group API UnicastAsync with RunRequestHandlerInline", [.. inline], false);
        var overhead = Stats.Median(group) - Stats.Median(raw);
        c.Table.Add("latency", "group API overhead: UnicastAsync p50 − data channel p50 (µs)", overhead.ToString("F0", System.Globalization.CultureInfo.InvariantCulture),
            "≤ 10 µs", overhead <= 10);
        c.Table.Add("latency", "the same with RunRequestHandlerInline (no thread switch to the handler) (µs)",
            (Stats.Median(inline) - Stats.Median(raw)).ToString("F0", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<double[]> PingAsync(BenchLink link, int pings, int warmup, bool quiet = false)
    {
        var id = await link.NewChannelAsync();
        await link.Answerer.EchoAsync(id);
        var rtts = await link.Offerer.PingPongAsync(id, pings, 32, warmup);
        await link.CloseChannelAsync(id);
        if (!quiet)
        {
            Console.Error.WriteLine($"    {link.Name}: p50 {Stats.Median(rtts):F0} µs, p99 {Stats.Percentile(rtts, 99):F0} µs");
        }

        return rtts;
    }
}
