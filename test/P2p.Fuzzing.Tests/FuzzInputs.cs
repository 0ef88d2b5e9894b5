using P2p.Testing.Interop;

namespace P2p.Fuzzing.Tests;

/// <summary>Where the replayed inputs live: fuzz/corpus/&lt;target&gt;/ (seeds and what afl kept) and fuzz/findings/&lt;target&gt;/ (crashes and hangs found so far).</summary>
internal static class FuzzInputs
{
    public static string Corpus => Path.Combine(RepositoryRoot.Path, "fuzz", "corpus");

    public static string Findings => Path.Combine(RepositoryRoot.Path, "fuzz", "findings");

    public static IEnumerable<string> TargetNames => FuzzTargets.All.Select(t => t.Name);

    /// <summary>The input files of one target in a folder (none when it has no folder there); README files are not inputs.</summary>
    public static string[] Files(string root, string target)
    {
        var folder = Path.Combine(root, target);
        return Directory.Exists(folder)
            ? Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith("README", StringComparison.Ordinal) && Path.GetFileName(f) != ".gitkeep").Order(StringComparer.Ordinal).ToArray()
            : [];
    }
}
