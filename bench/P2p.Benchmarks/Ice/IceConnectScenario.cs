using System.Diagnostics;
using System.Globalization;
using System.Net;
using P2p.WebRtc.Ice;

namespace P2p.Benchmarks.Ice;

/// <summary>
/// ICE connect time on loopback between two agents in this process, trickled candidates, default
/// timers (Ta = 50 ms): `dotnet run -c Release --project bench/P2p.Benchmarks -- ice-connect [runs]`.
/// "checks" = first check sent → pair selected (controlling side); "total" = StartGathering → both connected.
/// </summary>
public sealed class IceConnectScenario : IScenario
{
    public string Name => "ice-connect";

    public string Description => "ICE connect time on loopback (median/p90 of N runs, default 20)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var runs = args.Length > 0 && int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 20;
        var checks = new List<double>();
        var totals = new List<double>();
        var controlledChecks = new List<double>();
        for (var i = -1; i < runs; i++) // run -1 warms up the JIT and is not counted
        {
            var (c, cc, t) = await ConnectOnceAsync(cancellationToken);
            if (i >= 0)
            {
                checks.Add(c);
                controlledChecks.Add(cc);
                totals.Add(t);
            }
        }

        Console.WriteLine($"## ice-connect: {runs} runs, two agents on 127.0.0.1, trickle ICE, Ta = 50 ms");
        Console.WriteLine();
        Console.WriteLine("| measure | median (ms) | p90 (ms) | min (ms) | max (ms) |");
        Console.WriteLine("|---|---|---|---|---|");
        Row("first check sent → selected (controlling)", checks);
        Row("first check sent → selected (controlled)", controlledChecks);
        Row("total: start gathering → both connected", totals);
        return 0;
    }

    private static async Task<(double Checks, double ControlledChecks, double Total)> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        static IceAgentOptions Options(IceRole role) => new() { Role = role, AddressFilter = ip => ip.Equals(IPAddress.Loopback) };
        await using var a = new IceAgent(Options(IceRole.Controlling));
        await using var b = new IceAgent(Options(IceRole.Controlled));
        a.LocalCandidateGathered += (_, c) => b.AddRemoteCandidate(c);
        b.LocalCandidateGathered += (_, c) => a.AddRemoteCandidate(c);
        a.SetRemoteCredentials(b.LocalUfrag, b.LocalPassword);
        b.SetRemoteCredentials(a.LocalUfrag, a.LocalPassword);
        var sw = Stopwatch.StartNew();
        a.StartGathering();
        b.StartGathering();
        await Task.WhenAll(a.ConnectAsync(cancellationToken), b.ConnectAsync(cancellationToken)).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        var total = sw.Elapsed.TotalMilliseconds;
        var sa = a.GetStatistics();
        var sb = b.GetStatistics();
        return ((sa.Selected - sa.FirstCheckSent)!.Value.TotalMilliseconds, (sb.Selected - sb.FirstCheckSent)!.Value.TotalMilliseconds, total);
    }

    private static void Row(string name, List<double> values)
    {
        values.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {Percentile(values, 0.5):0.00} | {Percentile(values, 0.9):0.00} | {values[0]:0.00} | {values[^1]:0.00} |"));
    }

    private static double Percentile(List<double> sorted, double p)
    {
        var rank = p * (sorted.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * (rank - lo));
    }
}
