using System.Reflection;
using BenchmarkDotNet.Running;
using P2p.Benchmarks;

// Usage:
//   dotnet run -c Release --project bench/P2p.Benchmarks -- <scenario> [args]   an end-to-end scenario
//   dotnet run -c Release --project bench/P2p.Benchmarks -- micro [BenchmarkDotNet args]
var scenarios = Assembly.GetExecutingAssembly().GetTypes()
    .Where(t => typeof(IScenario).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IScenario)Activator.CreateInstance(t)!)
    .OrderBy(s => s.Name, StringComparer.Ordinal)
    .ToList();

if (args.Length > 0 && args[0] == "micro")
{
    BenchmarkSwitcher.FromAssembly(typeof(IScenario).Assembly).Run(args[1..]);
    return 0;
}

var scenario = args.Length > 0 ? scenarios.FirstOrDefault(s => s.Name == args[0]) : null;
if (scenario is null)
{
    Console.Error.WriteLine("usage: P2p.Benchmarks <scenario> [args] | micro [BenchmarkDotNet args]");
    foreach (var s in scenarios)
    {
        Console.Error.WriteLine($"  {s.Name,-14} {s.Description}");
    }

    return args.Length == 0 ? 0 : 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
return await scenario.RunAsync(args[1..], cts.Token);
