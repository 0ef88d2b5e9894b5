using System.Globalization;
using System.Text;
using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Report;

/// <summary>One line of the report: a P2p figure, the Chromium reference measured in the same run, their ratio and the goal.</summary>
/// <param name="Area">Group of rows ("throughput", "latency", ...).</param>
/// <param name="Measurement">What was measured, with its unit.</param>
/// <param name="Value">P2p's figure ("median (min–max)").</param>
/// <param name="Reference">Chromium ↔ Chromium's figure, or "–".</param>
/// <param name="Ratio">P2p / Chromium, or "–".</param>
/// <param name="Target">The goal from issue 7, or empty.</param>
/// <param name="Met">Whether the goal is met; null when there is none.</param>
internal sealed record ReportRow(string Area, string Measurement, string Value, string Reference, string Ratio, string Target, bool? Met);

/// <summary>Collects rows while the scenarios run and prints one markdown table.</summary>
internal sealed class ReportTable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly List<ReportRow> _rows = [];

    public IReadOnlyList<ReportRow> Rows => _rows;

    public void Add(ReportRow row)
    {
        lock (_rows)
        {
            _rows.Add(row);
        }

        Console.Error.WriteLine($"  {row.Area} | {row.Measurement} | {row.Value} | {row.Reference} | {row.Ratio} | {row.Target} {Mark(row.Met)}");
    }

    /// <summary>A row from samples: median (min–max), the reference's median (min–max), the ratio of medians.</summary>
    public void Add(string area, string measurement, IReadOnlyCollection<double> ours, IReadOnlyCollection<double>? reference, string format,
        string target = "", Func<double, double?, bool>? met = null)
    {
        var median = Stats.Median(ours);
        double? referenceMedian = reference is { Count: > 0 } ? Stats.Median(reference) : null;
        Add(new ReportRow(area, measurement, Cell(ours, format), reference is { Count: > 0 } ? Cell(reference, format) : "–",
            referenceMedian is { } r && r != 0 ? (median / r).ToString("F2", Inv) + "×" : "–",
            target, met?.Invoke(median, referenceMedian)));
    }

    /// <summary>A row whose figure is already formatted.</summary>
    public void Add(string area, string measurement, string value, string target = "", bool? met = null) =>
        Add(new ReportRow(area, measurement, value, "–", "–", target, met));

    public void Failed(string area, string what, Exception e) =>
        Add(new ReportRow(area, what, $"failed: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}", "–", "–", "", null));

    public static string Cell(IReadOnlyCollection<double> samples, string format) =>
        samples.Count > 1
            ? $"{Stats.Median(samples).ToString(format, Inv)} ({Stats.Spread(samples, format)})"
            : Stats.Median(samples).ToString(format, Inv);

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| area | measurement | P2p | Chromium ↔ Chromium (same run) | P2p / Chromium | target | met |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var r in _rows)
        {
            sb.AppendLine(Inv, $"| {r.Area} | {r.Measurement} | {r.Value} | {r.Reference} | {r.Ratio} | {r.Target} | {Mark(r.Met)} |");
        }

        return sb.ToString();
    }

    private static string Mark(bool? met) => met switch { true => "✅", false => "❌", null => "" };
}
