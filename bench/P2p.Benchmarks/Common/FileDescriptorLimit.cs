using System.Globalization;

namespace P2p.Benchmarks.Common;

/// <summary>This process's RLIMIT_NOFILE, read from /proc/self/limits (Linux); <see cref="int.MaxValue"/> where unknown.</summary>
internal static class FileDescriptorLimit
{
    /// <summary>The soft limit (what this process may open now).</summary>
    public static int Soft => Read(3);

    /// <summary>The hard limit (what the soft limit may be raised to without privileges).</summary>
    public static int Hard => Read(4);

    private static int Read(int field)
    {
        try
        {
            var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return parts is { Length: > 4 } && int.TryParse(parts[field], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue;
        }
        catch (IOException)
        {
            return int.MaxValue;
        }
    }
}
