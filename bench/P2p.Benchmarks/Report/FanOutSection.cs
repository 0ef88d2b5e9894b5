using System.Globalization;
using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Report;

/// <summary>
/// Group fan-out over the real WebRTC transport: 64 KiB broadcasts (<c>IGroup.BroadcastAsync</c>) in a
/// group of 8 .NET members on 127.0.0.1, one sender to the other 7 and all 8 sending at once, beside the
/// 1:1 figure (a group of 2, same API and message size) measured in the same run. Each sender broadcasts
/// a fixed amount; MB/s from the first send to the last byte received at every member. One warm-up run,
/// then the median of N; within each run the three cases take turns, so they see the same machine state.
/// </summary>
internal static class FanOutSection
{
    private const int MessageSize = 64 * 1024;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task RunAsync(Settings s, Context c, CancellationToken ct)
    {
        var perSender = (long)s.FanOutMib << 20;
        var n = s.FanOutMembers;
        var message = new byte[MessageSize];
        for (var i = 0; i < message.Length; i++)
        {
            message[i] = (byte)((i * 31) + 7);
        }

        var single = new List<double>();
        var oneToAll = new List<double>();
        var allToAll = new List<double>();
        await using (var pair = await FanOutGroup.FormAsync(c, 2, ct))
        await using (var group = await FanOutGroup.FormAsync(c, n, ct))
        {
            for (var run = 0; run <= s.Runs; run++)
            {
                var warm = run == 0 ? " (warm-up)" : "";
                var one = Rate(await pair.BroadcastAsync(1, perSender, message, ct));
                Console.Error.WriteLine($"    1 → 1: {one:F1} MB/s{warm}");
                var fan = Rate(await group.BroadcastAsync(1, perSender, message, ct));
                Console.Error.WriteLine($"    1 → {n - 1}: {fan:F1} MB/s aggregate{warm}");
                var all = Rate(await group.BroadcastAsync(n, perSender, message, ct));
                Console.Error.WriteLine($"    {n} → {n - 1} each: {all:F1} MB/s aggregate{warm}");
                if (run > 0)
                {
                    single.Add(one);
                    oneToAll.Add(fan);
                    allToAll.Add(all);
                }
            }
        }

        var others = n - 1;
        c.Table.Add("fan-out", $"1 → 1, group of 2, 64 KiB BroadcastAsync, {s.FanOutMib} MiB (MB/s)", single, null, "F1");
        c.Table.Add("fan-out", $"1 → {others}, group of {n}, {s.FanOutMib} MiB: aggregate received by the {others} (MB/s)", oneToAll, null, "F1");
        c.Table.Add("fan-out", $"1 → {others}: per member received (aggregate ÷ {others}) (MB/s)", [.. oneToAll.Select(r => r / others)], null, "F1");
        c.Table.Add("fan-out", $"{n} → {others}, all {n} broadcast {s.FanOutMib} MiB at once: aggregate received (MB/s)", allToAll, null, "F1");
        c.Table.Add("fan-out", $"{n} → {others}: per member received (aggregate ÷ {n}) (MB/s)", [.. allToAll.Select(r => r / n)], null, "F1");
        var oneMedian = Stats.Median(single);
        c.Table.Add("fan-out", $"1 → {others} aggregate ÷ 1 → 1", (Stats.Median(oneToAll) / oneMedian).ToString("F2", Inv) + "×");
        c.Table.Add("fan-out", $"{n} → {others} aggregate ÷ 1 → 1", (Stats.Median(allToAll) / oneMedian).ToString("F2", Inv) + "×");
    }

    private static double Rate((double Seconds, long Bytes) r) => r.Bytes / r.Seconds / 1e6;
}
