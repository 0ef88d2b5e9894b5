using System.Globalization;
using System.Runtime.InteropServices;

namespace P2p.Benchmarks.Report;

/// <summary>What a report ran on: CPU model and cores, memory, OS, .NET, GC mode, load at the start.</summary>
internal static class MachineInfo
{
    public static string Describe(string? chromiumVersion)
    {
        var cpu = ReadFirst("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memory = ReadFirst("/proc/meminfo", "MemTotal") ?? "?";
        var load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
        return string.Create(CultureInfo.InvariantCulture,
            $"{cpu}, {Environment.ProcessorCount} cores, {memory} RAM; {RuntimeInformation.OSDescription}; .NET {Environment.Version} ({(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC); Chromium {chromiumVersion ?? "not measured"}; load average at start {load}");
    }

    private static string? ReadFirst(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }
}
