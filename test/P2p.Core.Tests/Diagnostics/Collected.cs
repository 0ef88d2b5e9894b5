using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace P2p.Core.Tests.Diagnostics;

/// <summary>Reading and awaiting what a <see cref="MetricCollector{T}"/> on the "P2p.Core" meter saw (members record on their own threads).</summary>
internal static class Collected
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>A collector of one of P2p.Core's instruments (the meter is process-wide: no scope).</summary>
    public static MetricCollector<T> Of<T>(string instrument)
        where T : struct => new(null, P2pTelemetry.MeterName, instrument);

    /// <summary>The measurements whose tags include every pair in <paramref name="tags"/>.</summary>
    public static IEnumerable<CollectedMeasurement<T>> Tagged<T>(this MetricCollector<T> collector, params (string Key, object Value)[] tags)
        where T : struct =>
        collector.GetMeasurementSnapshot().Where(m => tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && Equals(v, t.Value)));

    /// <summary>The total of the measurements tagged so.</summary>
    public static long Total(this MetricCollector<long> collector, params (string Key, object Value)[] tags) =>
        collector.Tagged(tags).Sum(m => m.Value);

    /// <summary>Waits until <paramref name="condition"/> holds, looking again at each new measurement.</summary>
    public static async Task UntilAsync<T>(this MetricCollector<T> collector, Func<MetricCollector<T>, bool> condition, string what)
        where T : struct
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            // Counted before the check: a measurement that lands in between wakes the wait at once.
            var count = collector.GetMeasurementSnapshot().Count;
            if (condition(collector))
            {
                return;
            }

            try
            {
                await collector.WaitForMeasurementsAsync(count + 1, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for {what}; measured: {Describe(collector)}");
            }
        }
    }

    /// <summary>Every measurement with its tags, for failure messages.</summary>
    public static string Describe<T>(MetricCollector<T> collector)
        where T : struct =>
        string.Join("; ", collector.GetMeasurementSnapshot().Select(m => $"{m.Value} [{string.Join(",", m.Tags.Select(t => $"{t.Key}={t.Value}"))}]"));
}
