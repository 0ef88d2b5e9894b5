using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace P2p.Signaling.Server.Tests.Diagnostics;

/// <summary>Waiting on a <see cref="MetricCollector{T}"/> until its measurements satisfy a condition (the server records them on its own threads).</summary>
internal static class Measured
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>The sum of every measurement so far (an up-down counter's current value, a counter's total).</summary>
    public static long Sum(this MetricCollector<long> collector) => collector.GetMeasurementSnapshot().Sum(m => m.Value);

    /// <summary>The sum of the measurements tagged <paramref name="tag"/> = <paramref name="value"/>.</summary>
    public static long Sum(this MetricCollector<long> collector, string tag, object value) =>
        collector.GetMeasurementSnapshot().Where(m => m.Tags.TryGetValue(tag, out var v) && Equals(v, value)).Sum(m => m.Value);

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking after each new measurement; fails after <see cref="Wait"/>.</summary>
    public static async Task UntilAsync<T>(this MetricCollector<T> collector, Func<MetricCollector<T>, bool> condition, string what)
        where T : struct
    {
        using var timeout = new CancellationTokenSource(Wait);
        while (!condition(collector))
        {
            var seen = collector.GetMeasurementSnapshot().Count;
            try
            {
                await collector.WaitForMeasurementsAsync(seen + 1, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"{what}: not reached within {Wait.TotalSeconds} s; measurements: {string.Join(", ", collector.GetMeasurementSnapshot().Select(m => m.Value))}");
            }
        }
    }
}
