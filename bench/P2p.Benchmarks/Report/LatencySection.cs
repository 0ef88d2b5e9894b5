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
        double[] raw;
        await using (var link = await BenchLink.DotNetAsync())
        {
            raw = await PingAsync(link, s.Pings);
        }

        double[]? mixed = null;
        double[]? chromium = null;
        if (c.Browser is { } browser)
        {
            await using (var link = await BenchLink.DotNetChromiumAsync(browser, "rtt-mixed"))
            {
                mixed = await PingAsync(link, s.Pings);
            }

            await using (var link = await BenchLink.ChromiumAsync(browser, "rtt-chromium"))
            {
                chromium = await PingAsync(link, s.Pings);
            }
        }

        double[] group;
        await using (var pair = await GroupPair.ConnectAsync(c, ct))
        {
            group = await pair.RoundTripsAsync(s.Pings, Warmup, ct);
        }

        var reference = chromium is null ? null : new[] { Stats.Median(chromium) };
        var reference99 = chromium is null ? null : new[] { Stats.Percentile(chromium, 99) };
        void Row(string pairing, double[] rtts, bool target)
        {
            c.Table.Add("latency", $"32 B round trip p50, {pairing} (µs)", [Stats.Median(rtts)], reference, "F0",
                target ? "< Chromium" : "", target && reference is not null ? (m, r) => m < r!.Value : null);
            c.Table.Add("latency", $"32 B round trip p99, {pairing} (µs)", [Stats.Percentile(rtts, 99)], reference99, "F0");
        }

        Row(".NET ↔ .NET data channel", raw, true);
        if (mixed is not null)
        {
            Row(".NET ↔ Chromium data channel", mixed, true);
        }

        Row(".NET ↔ .NET, group API UnicastAsync", group, false);
        var overhead = Stats.Median(group) - Stats.Median(raw);
        c.Table.Add("latency", "group API overhead: UnicastAsync p50 − data channel p50 (µs)", overhead.ToString("F0", System.Globalization.CultureInfo.InvariantCulture),
            "≤ 20 µs", overhead <= 20);
    }

    private static async Task<double[]> PingAsync(BenchLink link, int pings)
    {
        var id = await link.NewChannelAsync();
        await link.Answerer.EchoAsync(id);
        var rtts = await link.Offerer.PingPongAsync(id, pings, 32, Warmup);
        await link.CloseChannelAsync(id);
        Console.Error.WriteLine($"    {link.Name}: p50 {Stats.Median(rtts):F0} µs, p99 {Stats.Percentile(rtts, 99):F0} µs");
        return rtts;
    }
}
