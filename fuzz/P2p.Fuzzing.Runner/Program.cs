using P2p.Fuzzing;
using SharpFuzz;

// Usage: P2p.Fuzzing.Runner <target>            — under afl-fuzz (fuzz/run.sh): the input comes from afl.
//        P2p.Fuzzing.Runner <target> <file>...  — runs the target once per file (to reproduce a finding).
//        P2p.Fuzzing.Runner --write-seeds <dir> — writes the generated seeds (gen-*) of every target under <dir>.
if (args is ["--write-seeds", var corpus])
{
    Console.WriteLine($"{P2p.Fuzzing.Seeds.SeedCorpus.Write(corpus)} generated seeds written under {corpus}");
    return 0;
}

if (args.Length == 0 || FuzzTargets.Find(args[0]) is not { } target)
{
    Console.Error.WriteLine("usage: P2p.Fuzzing.Runner <target> [input-file...]; targets: " + string.Join(", ", FuzzTargets.All.Select(t => t.Name)));
    return 2;
}

if (args.Length > 1)
{
    foreach (var file in args.Skip(1))
    {
        target.Run(File.ReadAllBytes(file));
        Console.WriteLine($"{target.Name}: {file}: ok");
    }

    return 0;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    target.Run(memory.GetBuffer().AsSpan(0, (int)memory.Length));
});
return 0;
