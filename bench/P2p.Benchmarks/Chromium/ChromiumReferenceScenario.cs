using System.Globalization;
using P2p.Benchmarks.Common;
using P2p.Testing.Chromium;

namespace P2p.Benchmarks.Chromium;

/// <summary>
/// Chromium↔Chromium (two pages, one headless browser) on loopback: the reference every P2p figure
/// is compared with, measured in the same run on the same machine.
/// </summary>
public sealed class ChromiumReferenceScenario : IScenario
{
    public string Name => "chromium";

    public string Description => "Chromium<->Chromium reference: set-up, bulk throughput, 32 B RTT (--mib 64 --runs 3 --pings 2000)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Args(args);
        var mib = a.Int("--mib", 64);
        var runs = a.Int("--runs", 3);
        var pings = a.Int("--pings", 2000);
        var setups = a.Int("--setups", 5);
        await using var chromium = await ChromiumSession.LaunchAsync();

        var setupMs = new List<double>();
        for (var i = 0; i < setups; i++)
        {
            var p = await ChromiumPair.ConnectAsync(chromium, $"setup{i}", cancellationToken);
            setupMs.Add(p.SetupMs);
            await p.CloseAsync();
        }

        var pair = await ChromiumPair.ConnectAsync(chromium, "bench", cancellationToken);
        Console.WriteLine($"Chromium↔Chromium, two pages of one browser, loopback; {mib} MiB per run, median of {runs} after one warm-up");
        Console.WriteLine();
        Console.WriteLine("| measurement | median | spread |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine(Row("set-up, offer → channel open (ms)", setupMs));
        foreach (var kib in new[] { 16, 64, 256 })
        {
            var rates = new List<double>();
            for (var run = 0; run <= runs; run++)
            {
                var rate = await ChromiumMeasurements.ThroughputAsync(pair, $"bulk{kib}-{run}", (long)mib << 20, kib << 10);
                if (run > 0)
                {
                    rates.Add(rate);
                }
            }

            Console.WriteLine(Row($"throughput, {kib} KiB messages (MB/s)", rates));
        }

        var rtts = await ChromiumMeasurements.RoundTripsAsync(pair, pings, 32, 100);
        Console.WriteLine($"| 32 B round trip p50 / p99 (µs) | {Stats.Median(rtts):F0} / {Stats.Percentile(rtts, 99):F0} | {Stats.Spread(rtts, "F0")} |");
        await pair.CloseAsync();
        return 0;
    }

    private static string Row(string what, List<double> samples) =>
        string.Create(CultureInfo.InvariantCulture, $"| {what} | {Stats.Median(samples):F1} | {Stats.Spread(samples)} |");
}
