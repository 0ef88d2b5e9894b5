using System.Globalization;
using P2p.Benchmarks.Common;
using P2p.Benchmarks.Mesh;

namespace P2p.Benchmarks.Report;

/// <summary>
/// Connection set-up, offer created → first channel open on both ends (median of N, each a new
/// connection, after one unmeasured), and full-mesh formation of N .NET members over WebRTC.
/// </summary>
internal static class SetupSection
{
    public static async Task RunSetupAsync(Settings s, Context c)
    {
        var ours = await RepeatAsync(s.Setups, () => BenchLink.DotNetAsync());
        List<double>? mixed = null;
        List<double>? chromium = null;
        if (c.Browser is { } browser)
        {
            var n = 0;
            mixed = await RepeatAsync(s.Setups, () => BenchLink.DotNetChromiumAsync(browser, $"setup-mixed-{n++}"));
            chromium = await RepeatAsync(s.Setups, () => BenchLink.ChromiumAsync(browser, $"setup-chromium-{n++}"));
        }

        c.Table.Add("set-up", ".NET ↔ .NET, offer → channel open (ms)", ours, chromium, "F1", "≤ 50 ms", (m, _) => m <= 50);
        await ColdAsync(s, c);
        if (mixed is not null)
        {
            c.Table.Add("set-up", ".NET ↔ Chromium, offer → channel open (ms)", mixed, chromium, "F1", "≤ 50 ms", (m, _) => m <= 50);
        }
    }

    /// <summary>The first connection of a fresh process against the warm median of the same process, in 3 fresh processes.</summary>
    private static async Task ColdAsync(Settings s, Context c)
    {
        var ratios = new List<double>();
        var firsts = new List<double>();
        for (var run = 0; run < 3; run++)
        {
            var output = await ChildProcess.RunAsync("cold-setup", TimeSpan.FromMinutes(2), "--warm", "10");
            var line = output.Split('\n').Single(l => l.StartsWith("COLD ", StringComparison.Ordinal)).Split(' ');
            var (first, warm) = (double.Parse(line[1], CultureInfo.InvariantCulture), double.Parse(line[2], CultureInfo.InvariantCulture));
            Console.Error.WriteLine($"    fresh process: first connection {first:F1} ms, then warm median {warm:F1} ms");
            firsts.Add(first);
            ratios.Add(first / warm);
        }

        c.Table.Add("set-up", ".NET ↔ .NET, the first connection of a fresh process (ms), 3 processes", firsts, null, "F1", "", null);
        c.Table.Add("set-up", ".NET ↔ .NET, first connection ÷ warm median of the same process", ratios, null, "F2", "≤ 2×", (m, _) => m <= 2);
    }

    public static async Task RunMeshAsync(Settings s, Context c, CancellationToken ct)
    {
        await MeshWebRtcScenario.FormAsync(c.Signaling.Uri, 3, c.Certificate, ct); // warm-up
        foreach (var n in s.MeshSizes)
        {
            var samples = new List<double>();
            for (var run = 0; run < s.MeshRuns; run++)
            {
                samples.Add(await MeshWebRtcScenario.FormAsync(c.Signaling.Uri, n, c.Certificate, ct));
                Console.Error.WriteLine($"    mesh of {n}: {samples[^1]:F0} ms");
            }

            c.Table.Add("set-up", $"full mesh of {n} .NET members ({n * (n - 1) / 2} links), join → all connected (ms)", samples, null, "F0",
                n == 16 ? "≤ 2000 ms" : "", n == 16 ? (m, _) => m <= 2000 : null);
        }
    }

    public static async Task<List<double>> RepeatAsync(int count, Func<Task<BenchLink>> connect)
    {
        await using (await connect())
        {
            // warm-up: JIT, first page of a context
        }

        var samples = new List<double>();
        for (var i = 0; i < count; i++)
        {
            await using var link = await connect();
            samples.Add(link.SetupMs);
        }

        Console.Error.WriteLine($"    set-up {samples.Count}×: {string.Join(' ', samples.Select(x => x.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))} ms");
        return samples;
    }
}
