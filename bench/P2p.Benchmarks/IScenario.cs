namespace P2p.Benchmarks;

/// <summary>
/// One end-to-end measurement (a throughput run, a latency distribution, a load test). Scenarios are
/// found by reflection: add a class implementing this interface, with a public parameterless
/// constructor, and it becomes `dotnet run -c Release --project bench/P2p.Benchmarks -- NAME [args]`.
/// </summary>
public interface IScenario
{
    /// <summary>The command-line name, e.g. "signaling".</summary>
    string Name { get; }

    /// <summary>One line for the usage text.</summary>
    string Description { get; }

    /// <summary>Runs the scenario, printing a markdown table to stdout. Returns the process exit code.</summary>
    Task<int> RunAsync(string[] args, CancellationToken cancellationToken);
}
