using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using P2p.Benchmarks.Core;
using P2p.Benchmarks.Dtls;
using P2p.Benchmarks.Ice;
using P2p.Benchmarks.Sctp;

namespace P2p.Benchmarks.Report;

/// <summary>
/// The hot-path micro-benchmarks (BenchmarkDotNet, in this process, short job): STUN, SCTP chunks,
/// DTLS records, group frames. One row each: median time per operation and bytes allocated per
/// operation. `-- micro` runs the same classes with BenchmarkDotNet's full statistics.
/// </summary>
internal static class MicroSection
{
    private static readonly Type[] Classes =
        [typeof(StunCodecBenchmarks), typeof(SctpCodecBenchmarks), typeof(DtlsRecordBenchmarks), typeof(FrameCodecBenchmarks)];

    public static void Run(Context c)
    {
        var config = ManualConfig.CreateEmpty()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(NullLogger.Instance)
            .WithOptions(ConfigOptions.DisableLogFile | ConfigOptions.JoinSummary);
        foreach (var type in Classes)
        {
            Console.Error.WriteLine($"    micro: {type.Name}");
            var summary = BenchmarkRunner.Run(type, config);
            foreach (var report in summary.Reports)
            {
                var name = $"{type.Name.Replace("Benchmarks", string.Empty, StringComparison.Ordinal)}.{report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\'')}";
                if (report.ResultStatistics is not { } stats)
                {
                    c.Table.Add("micro", $"{name} (ns/op, B/op)", "failed: no result");
                    continue;
                }

                var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
                c.Table.Add("micro", $"{name} (ns/op, B/op)",
                    string.Create(CultureInfo.InvariantCulture, $"{stats.Median:F0} ns, {allocated?.ToString(CultureInfo.InvariantCulture) ?? "?"} B"));
            }
        }
    }
}
