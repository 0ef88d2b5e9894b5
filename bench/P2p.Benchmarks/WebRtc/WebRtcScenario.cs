using System.Globalization;
using P2p.Benchmarks.Chromium;
using P2p.Benchmarks.Common;
using P2p.Testing.Chromium;

namespace P2p.Benchmarks.WebRtc;

/// <summary>
/// P2p.WebRtc ↔ P2p.WebRtc beside Chromium ↔ Chromium (two pages of one headless browser), measured in
/// the same run on the same machine: connection set-up, bulk throughput, 32-byte round trip.
/// </summary>
public sealed class WebRtcScenario : IScenario
{
    public string Name => "webrtc";

    public string Description => "P2p<->P2p beside Chromium<->Chromium: set-up, throughput, RTT (--mib 64 --kib 64[,16,256] --runs 3 --pings 2000 --setups 20 [--no-chromium])";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Args(args);
        var mib = a.Int("--mib", 64);
        var sizes = (a.String("--kib") ?? "64").Split(',').Select(k => int.Parse(k, CultureInfo.InvariantCulture)).ToArray();
        var runs = a.Int("--runs", 3);
        var pings = a.Int("--pings", 2000);
        var setups = a.Int("--setups", 20);
        var withChromium = !a.Flag("--no-chromium");
        var total = (long)mib << 20;

        var rows = new List<(string What, List<double> Ours, List<double>? Chromium, bool HigherIsBetter)>();

        // P2p ↔ P2p
        var setupOurs = new List<double>();
        for (var i = 0; i < setups; i++)
        {
            await using var p = await DotNetPair.ConnectAsync(cancellationToken);
            setupOurs.Add(p.SetupMs);
        }

        var throughputOurs = new Dictionary<int, List<double>>();
        double[] rttOurs;
        await using (var pair = await DotNetPair.ConnectAsync(cancellationToken))
        {
            foreach (var kib in sizes)
            {
                throughputOurs[kib] = [];
                for (var run = 0; run <= runs; run++)
                {
                    var rate = await DotNetMeasurements.ThroughputAsync(pair, $"bulk{kib}-{run}", total, kib << 10, cancellationToken);
                    if (run > 0)
                    {
                        throughputOurs[kib].Add(rate); // run 0 warms up (JIT, slow start)
                    }
                }
            }

            rttOurs = await DotNetMeasurements.RoundTripsAsync(pair, pings, 32, 100, cancellationToken);
        }

        // Chromium ↔ Chromium
        List<double>? setupChromium = null;
        var throughputChromium = new Dictionary<int, List<double>>();
        double[]? rttChromium = null;
        if (withChromium)
        {
            await using var chromium = await ChromiumSession.LaunchAsync();
            setupChromium = [];
            for (var i = 0; i < setups; i++)
            {
                var p = await ChromiumPair.ConnectAsync(chromium, $"setup{i}", cancellationToken);
                setupChromium.Add(p.SetupMs);
                await p.CloseAsync();
            }

            var pair = await ChromiumPair.ConnectAsync(chromium, "bench", cancellationToken);
            foreach (var kib in sizes)
            {
                throughputChromium[kib] = [];
                for (var run = 0; run <= runs; run++)
                {
                    var rate = await ChromiumMeasurements.ThroughputAsync(pair, $"bulk{kib}-{run}", total, kib << 10);
                    if (run > 0)
                    {
                        throughputChromium[kib].Add(rate);
                    }
                }
            }

            rttChromium = await ChromiumMeasurements.RoundTripsAsync(pair, pings, 32, 100);
            await pair.CloseAsync();
        }

        Console.WriteLine($"WebRTC data channels on loopback, {Environment.ProcessorCount} cores; {mib} MiB per transfer, reliable ordered, " +
            $"median of {runs} after one warm-up; set-up median of {setups}; RTT over {pings} pings of 32 B");
        Console.WriteLine();
        Console.WriteLine("| measurement | P2p ↔ P2p | Chromium ↔ Chromium | P2p / Chromium |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(Row("set-up, offer → channel open (ms)", setupOurs, setupChromium, "F1"));
        foreach (var kib in sizes)
        {
            Console.WriteLine(Row($"throughput, {kib} KiB messages (MB/s)", throughputOurs[kib], throughputChromium.GetValueOrDefault(kib), "F1"));
        }

        Console.WriteLine(Row("32 B round trip p50 (µs)", [Stats.Median(rttOurs)], rttChromium is null ? null : [Stats.Median(rttChromium)], "F0", spread: false));
        Console.WriteLine(Row("32 B round trip p99 (µs)", [Stats.Percentile(rttOurs, 99)], rttChromium is null ? null : [Stats.Percentile(rttChromium, 99)], "F0", spread: false));
        return 0;
    }

    private static string Row(string what, List<double> ours, List<double>? chromium, string format, bool spread = true)
    {
        string Cell(List<double> s) => spread && s.Count > 1
            ? $"{Stats.Median(s).ToString(format, CultureInfo.InvariantCulture)} ({Stats.Spread(s, format)})"
            : Stats.Median(s).ToString(format, CultureInfo.InvariantCulture);
        var ratio = chromium is null ? "–" : (Stats.Median(ours) / Stats.Median(chromium)).ToString("F2", CultureInfo.InvariantCulture) + "×";
        return $"| {what} | {Cell(ours)} | {(chromium is null ? "–" : Cell(chromium))} | {ratio} |";
    }
}
