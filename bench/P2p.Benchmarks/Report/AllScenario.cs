using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Report;

/// <summary>Every measurement of issue 7 in one run and one table: `dotnet run -c Release --project bench/P2p.Benchmarks -- all`.</summary>
public sealed class AllScenario : IScenario
{
    public string Name => "all";

    public string Description => "the whole report in one table, Chromium alongside (~10 min; --quick, --only ceilings,set-up,throughput,latency,turn,mesh,fan-out,memory,signaling,signaling-cluster,interop,micro, --out FILE, --no-chromium)";

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken) =>
        ReportRunner.RunAsync("P2p.Benchmarks all " + string.Join(' ', args), Settings.Parse(args), new Args(args).String("--out"), cancellationToken);
}
