using System.Globalization;
using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Report;

/// <summary>
/// The first .NET ↔ .NET connection of a fresh process (nothing jitted, no pool warm), then the median of N more in the
/// same process: prints "COLD firstMs warmMedianMs". Run as a child process by the report's set-up section.
/// </summary>
public sealed class ColdSetupScenario : IScenario
{
    public string Name => "cold-setup";

    public string Description => "(used by 'all') the first connection of a fresh process, then the warm median (--warm 10)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var warm = new Args(args).Int("--warm", 10);
        double first;
        await using (var link = await BenchLink.DotNetAsync())
        {
            first = link.SetupMs;
        }

        var samples = new List<double>();
        for (var i = 0; i < warm; i++)
        {
            await using var link = await BenchLink.DotNetAsync();
            samples.Add(link.SetupMs);
        }

        samples.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"COLD {first:F1} {samples[samples.Count / 2]:F1}"));
        return 0;
    }
}
