using System.Diagnostics;
using System.Globalization;
using P2p.Signaling.Server;
using P2p.Testing.Chromium;

namespace P2p.Benchmarks.Report;

/// <summary>
/// Runs the report's sections in one process, Chromium measured beside P2p in the same run, and prints
/// one markdown table (stdout, and <c>--out FILE</c>). Progress goes to stderr. A section that fails is
/// a row saying so and makes the exit code 1; a missed target is only marked ❌.
/// </summary>
internal static class ReportRunner
{
    /// <summary>The sections in the order they run (names for <c>--only</c>).</summary>
    public static readonly string[] Sections = ["ceilings", "set-up", "throughput", "latency", "turn", "mesh", "fan-out", "memory", "signaling", "signaling-cluster", "interop", "micro"];

    public static async Task<int> RunAsync(string command, Settings s, string? outFile, CancellationToken ct)
    {
        var table = new ReportTable();
        var clock = Stopwatch.StartNew();
        ChromiumSession? browser = null;
        if (s.Chromium && NeedsChromium(s))
        {
            if (ChromiumSession.IsAvailable)
            {
                browser = await ChromiumSession.LaunchAsync(contextPerPeer: true);
            }
            else
            {
                Console.Error.WriteLine("Chromium is not installed (apt-get install chromium): its columns stay empty.");
            }
        }

        var machine = MachineInfo.Describe(browser?.BrowserVersion);
        Console.Error.WriteLine(machine);
        await using var signaling = await EmbeddedSignalingServer.StartAsync(cancellationToken: ct);
        var context = new Context { Table = table, Browser = browser, Signaling = signaling };
        var failed = false;
        try
        {
            foreach (var section in Sections.Where(s.Includes))
            {
                if (section == "micro" && !s.Micro)
                {
                    continue;
                }

                ct.ThrowIfCancellationRequested();
                Console.Error.WriteLine($"[{clock.Elapsed:mm\\:ss}] {section}");
                try
                {
                    await RunSectionAsync(section, s, context, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    failed = true;
                    table.Failed(section, "section", e);
                    Console.Error.WriteLine(e);
                }
            }
        }
        finally
        {
            if (browser is not null)
            {
                await browser.DisposeAsync();
            }
        }

        var report = string.Create(CultureInfo.InvariantCulture,
            $"## P2p benchmark report\n\n`{command}` — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {clock.Elapsed.TotalMinutes:F1} min\n\n{machine}\n\nFigures: median (min–max) over the runs; the Chromium column is Chromium ↔ Chromium (two pages of one headless browser) measured in the same run.\n\n{table.ToMarkdown()}");
        Console.WriteLine(report);
        if (outFile is not null)
        {
            await File.WriteAllTextAsync(outFile, report, ct);
        }

        return failed ? 1 : 0;
    }

    private static bool NeedsChromium(Settings s) => s.Includes("set-up") || s.Includes("throughput") || s.Includes("latency") || s.Includes("turn");

    private static Task RunSectionAsync(string section, Settings s, Context c, CancellationToken ct) => section switch
    {
        "ceilings" => CeilingsSection.RunAsync(s, c, ct),
        "set-up" => SetupSection.RunSetupAsync(s, c),
        "throughput" => ThroughputSection.RunAsync(s, c),
        "latency" => LatencySection.RunAsync(s, c, ct),
        "turn" => TurnSection.RunAsync(s, c, ct),
        "mesh" => SetupSection.RunMeshAsync(s, c, ct),
        "fan-out" => FanOutSection.RunAsync(s, c, ct),
        "memory" => MemorySection.RunAsync(s, c, ct),
        "signaling" => SignalingSection.RunAsync(s, c, ct),
        "signaling-cluster" => SignalingClusterSection.RunAsync(s, c, ct),
        "interop" => InteropSection.RunAsync(s, c, ct),
        "micro" => Task.Run(() => MicroSection.Run(c), ct),
        _ => throw new ArgumentException($"unknown section {section}; known: {string.Join(", ", Sections)}", nameof(section)),
    };
}
