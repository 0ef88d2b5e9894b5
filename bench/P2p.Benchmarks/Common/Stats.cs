namespace P2p.Benchmarks.Common;

/// <summary>Order statistics over measured samples.</summary>
public static class Stats
{
    /// <summary>The median (mean of the two middle samples for an even count).</summary>
    public static double Median(IReadOnlyCollection<double> samples)
    {
        var sorted = Sorted(samples);
        var n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>The nearest-rank percentile, <paramref name="p"/> in (0, 100].</summary>
    public static double Percentile(IReadOnlyCollection<double> samples, double p)
    {
        var sorted = Sorted(samples);
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>"min–max" of the samples, formatted with <paramref name="format"/>.</summary>
    public static string Spread(IReadOnlyCollection<double> samples, string format = "F1") =>
        $"{samples.Min().ToString(format, System.Globalization.CultureInfo.InvariantCulture)}–{samples.Max().ToString(format, System.Globalization.CultureInfo.InvariantCulture)}";

    private static double[] Sorted(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("No samples.", nameof(samples));
        }

        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return sorted;
    }
}
