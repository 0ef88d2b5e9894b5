namespace P2p.Testing.Interop;

/// <summary>What one interop pairing produced: both sides' reports and exit codes.</summary>
/// <param name="Offerer">The offering side.</param>
/// <param name="OffererReport">Its report.</param>
/// <param name="OffererExit">Its exit code (0 for P2p in-process; -1 when it did not exit in time).</param>
/// <param name="Answerer">The answering side.</param>
/// <param name="AnswererReport">Its report.</param>
/// <param name="AnswererExit">Its exit code.</param>
public sealed record PairingResult(
    IScenarioEndpoint Offerer,
    ScenarioReport OffererReport,
    int OffererExit,
    IScenarioEndpoint Answerer,
    ScenarioReport AnswererReport,
    int AnswererExit)
{
    /// <summary>Both reports ok and both exits 0.</summary>
    public bool Ok => OffererReport.Ok && AnswererReport.Ok && OffererExit == 0 && AnswererExit == 0;

    /// <summary>A failure message: both reports, exit codes and the foreign peers' logs.</summary>
    public string Describe() =>
        $"{Offerer.Name}: exit {OffererExit}, {OffererReport}\n{Answerer.Name}: exit {AnswererExit}, {AnswererReport}\n"
        + $"--- {Offerer.Name} log ---\n{Tail(Offerer.Diagnostics)}\n--- {Answerer.Name} log ---\n{Tail(Answerer.Diagnostics)}";

    private static string Tail(string log) => log.Length > 6000 ? "…" + log[^6000..] : log;
}
