using System.Diagnostics;

namespace P2p.Benchmarks.Chromium;

/// <summary>Throughput and round-trip measurements between two Chromium pages.</summary>
internal static class ChromiumMeasurements
{
    /// <summary>Bulk transfer with back-pressure (4 MiB high / 1 MiB low water) on a new channel; MB/s until the last byte arrived.</summary>
    public static async Task<double> ThroughputAsync(ChromiumPair pair, string label, long total, int size)
    {
        await pair.Offerer.CreateChannelAsync(label);
        await Task.WhenAll(pair.Offerer.WaitOpenAsync(label), pair.Answerer.WaitOpenAsync(label));
        await pair.Answerer.ArmCountAsync(label, total);
        var clock = Stopwatch.StartNew();
        await pair.Offerer.SendBulkAsync(label, total, size, 300_000);
        await pair.Answerer.ReceivedAsync(300_000);
        var seconds = clock.Elapsed.TotalSeconds;
        await pair.Offerer.CloseChannelAsync(label);
        return total / seconds / 1e6;
    }

    /// <summary>Round trips of <paramref name="size"/>-byte messages against an echoing page, in microseconds.</summary>
    public static async Task<double[]> RoundTripsAsync(ChromiumPair pair, int count, int size, int warmup)
    {
        await pair.Offerer.CreateChannelAsync("ping");
        await Task.WhenAll(pair.Offerer.WaitOpenAsync("ping"), pair.Answerer.WaitOpenAsync("ping"));
        await pair.Answerer.EchoAsync("ping");
        return await pair.Offerer.PingPongAsync("ping", count, size, warmup, 120_000);
    }
}
