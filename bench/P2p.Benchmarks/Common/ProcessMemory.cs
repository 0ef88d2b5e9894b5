using System.Diagnostics;

namespace P2p.Benchmarks.Common;

/// <summary>Managed heap and memory of a process, in bytes.</summary>
internal readonly record struct ProcessMemory(long ManagedHeap, long WorkingSet, long PrivateBytes)
{
    /// <summary>This process, after a full blocking collection.</summary>
    public static ProcessMemory Measure()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var p = Process.GetCurrentProcess();
        return new ProcessMemory(GC.GetTotalMemory(forceFullCollection: true), p.WorkingSet64, p.PrivateMemorySize64);
    }
}
