using P2p.Testing.Interop;

namespace P2p.Benchmarks.Report;

/// <summary>
/// Throughput against the foreign stacks of the interop matrix (test/interop-peers/): the scenario's 16 MiB
/// each way at once, P2p ↔ X (P2p offering) beside X ↔ X in the same run, pairings interleaved run by run.
/// A figure is the mean of the two receive rates of one run. Needs the peers (test/interop-peers/install.sh);
/// run it alone with <c>all --only interop</c>.
/// </summary>
internal static class InteropSection
{
    private const int Mib = 16;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static async Task RunAsync(Settings s, Context c, CancellationToken ct)
    {
        foreach (var stack in ForeignStack.All)
        {
            var ours = new List<double>();
            var theirs = new List<double>();
            string? version = null;
            try
            {
                for (var run = 0; run < s.Runs; run++)
                {
                    var withP2p = await RunAsync(await ScenarioPeer.StartAsync(ScenarioRole.Offer, new ScenarioPeerOptions { Mib = Mib, Timeout = Timeout }, ct), stack, ct);
                    ours.Add(withP2p.Rate);
                    version = withP2p.Version;
                    var alone = await RunAsync(ForeignPeerProcess.Start(stack, ScenarioRole.Offer, Mib, Timeout), stack, ct);
                    theirs.Add(alone.Rate);
                }

                c.Table.Add("interop", $"{stack.Name} {version}: P2p ↔ {stack.Name}, MB/s each way (Chromium column: {stack.Name} ↔ {stack.Name})", ours, theirs, "F1");
            }
            catch (InvalidOperationException e)
            {
                c.Table.Failed("interop", stack.Name, e);
            }
        }
    }

    private static async Task<(double Rate, string? Version)> RunAsync(IScenarioEndpoint offerer, ForeignStack stack, CancellationToken ct)
    {
        await using (offerer)
        {
            await using var answerer = ForeignPeerProcess.Start(stack, ScenarioRole.Answer, Mib, Timeout);
            var result = await InteropPairing.RunAsync(offerer, answerer, Timeout, ct);
            if (!result.Ok)
            {
                throw new InvalidOperationException($"{offerer.Name} <-> {answerer.Name} failed: {result.Describe().ReplaceLineEndings(" | ")}");
            }

            var rate = ((result.OffererReport.BulkMBps ?? 0) + (result.AnswererReport.BulkMBps ?? 0)) / 2;
            Console.Error.WriteLine($"    {offerer.Name} <-> {answerer.Name}: {result.OffererReport.BulkMBps} / {result.AnswererReport.BulkMBps} MB/s");
            return (rate, result.AnswererReport.Version);
        }
    }
}
