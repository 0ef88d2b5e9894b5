using P2p.Fuzzing.Seeds;

namespace P2p.Fuzzing.Tests;

/// <summary>
/// The fuzzing regression tests (docs/fuzzing.md): every seed and kept input of fuzz/corpus and every crash or hang
/// ever found (fuzz/findings) goes through its target again, uninstrumented, and must finish in time without an
/// unexpected exception — so a fixed finding stays fixed and a parser change that breaks on known input fails CI.
/// </summary>
public class CorpusReplayTests
{
    private static IEnumerable<string> Targets => FuzzInputs.TargetNames;

    [TestCaseSource(nameof(Targets))]
    public void Every_corpus_input_of_the_target_runs_cleanly(string name)
    {
        var files = FuzzInputs.Files(FuzzInputs.Corpus, name);
        Assert.That(files, Is.Not.Empty, $"fuzz/corpus/{name}/ is missing or empty: every target needs seeds");
        AssertClean(name, files);
    }

    [TestCaseSource(nameof(Targets))]
    public void Every_finding_of_the_target_runs_cleanly(string name)
    {
        Assert.That(Directory.Exists(FuzzInputs.Findings), Is.True, "fuzz/findings/ is missing");
        AssertClean(name, FuzzInputs.Files(FuzzInputs.Findings, name));
    }

    [TestCaseSource(nameof(Targets))]
    public void The_generated_seeds_of_the_current_encoders_run_cleanly(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var seeds = SeedCorpus.For(name).ToArray();
        Assert.That(seeds, Is.Not.Empty);
        var failures = seeds.Select(s => InputReplayer.Replay(target, s.Data, s.Name)).OfType<string>().ToArray();
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public void Every_folder_under_corpus_and_findings_names_a_target()
    {
        var names = FuzzInputs.TargetNames.ToHashSet();
        var folders = Directory.GetDirectories(FuzzInputs.Corpus).Concat(Directory.Exists(FuzzInputs.Findings) ? Directory.GetDirectories(FuzzInputs.Findings) : [])
            .Select(Path.GetFileName);
        Assert.That(folders.Where(f => !names.Contains(f!)), Is.Empty, "a folder that names no target would never be replayed");
    }

    private static void AssertClean(string name, string[] files)
    {
        var target = FuzzTargets.Find(name)!;
        var failures = files.Select(f => InputReplayer.Replay(target, File.ReadAllBytes(f), Path.GetFileName(f))).OfType<string>().ToArray();
        Assert.That(failures, Is.Empty, $"{failures.Length} of {files.Length} inputs of {name} failed");
    }
}
