namespace P2p.Fuzzing;

/// <summary>A named fuzz target: the folder name under fuzz/corpus and fuzz/findings, and what it feeds.</summary>
/// <param name="Name">The target's name (lower case, as passed to the runner and to fuzz/run.sh).</param>
/// <param name="Run">Feeds one input to the parser the way the network would.</param>
/// <param name="Description">What the target reaches.</param>
internal sealed record FuzzTarget(string Name, FuzzAction Run, string Description);
