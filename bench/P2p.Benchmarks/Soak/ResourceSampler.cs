using System.Diagnostics;
using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Soak;

/// <summary>One look at the process's resources.</summary>
/// <param name="At">When (s since the soak started).</param>
/// <param name="ManagedHeap">Bytes on the managed heap after a full, compacting collection.</param>
/// <param name="WorkingSet">The process's working set, bytes.</param>
/// <param name="PrivateBytes">The process's private memory, bytes.</param>
/// <param name="Handles">Open file descriptors (entries of /proc/self/fd): sockets, files, pipes, epoll and timer fds.</param>
/// <param name="Threads">The process's threads.</param>
/// <param name="Timers">Active <see cref="System.Threading.Timer"/>s (<see cref="Timer.ActiveCount"/>).</param>
/// <param name="Members">Members in the group.</param>
internal readonly record struct ResourceSample(double At, long ManagedHeap, long WorkingSet, long PrivateBytes, int Handles, int Threads, long Timers, int Members)
{
    public static ResourceSample Take(double at, int members)
    {
        var memory = ProcessMemory.Measure();
        using var process = Process.GetCurrentProcess();
        return new ResourceSample(at, memory.ManagedHeap, memory.WorkingSet, memory.PrivateBytes, CountHandles(), process.Threads.Count, Timer.ActiveCount, members);
    }

    private static int CountHandles()
    {
        try
        {
            return Directory.GetFileSystemEntries("/proc/self/fd").Length;
        }
        catch (DirectoryNotFoundException)
        {
            return -1; // not Linux
        }
    }
}

/// <summary>
/// Samples the process's resources every <see cref="SoakOptions.SampleEvery"/> and tells their growth: start → end,
/// and per hour as the slope of a least-squares line through the samples taken after the warm-up (so one sample taken
/// in a burst of joins does not decide it).
/// </summary>
internal sealed class ResourceSampler(SoakOptions options, Func<double> now, Func<int> members)
{
    private readonly List<ResourceSample> _samples = [];
    private readonly Lock _sync = new();

    public IReadOnlyList<ResourceSample> Samples
    {
        get
        {
            lock (_sync)
            {
                return [.. _samples];
            }
        }
    }

    public ResourceSample Sample()
    {
        var sample = ResourceSample.Take(now(), members());
        lock (_sync)
        {
            _samples.Add(sample);
        }

        return sample;
    }

    /// <summary>Samples until <paramref name="stop"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.SampleEvery, stop);
                Sample();
            }
        }
        catch (OperationCanceledException)
        {
            // Done.
        }
    }

    /// <summary>
    /// The samples the growth is fitted over: those after the warm-up taken while the group was complete (a member
    /// away takes its share of memory, timers and sockets with it, which is not growth); when fewer than 3 are, those
    /// after the warm-up; when fewer than 3 are, all.
    /// </summary>
    public IReadOnlyList<ResourceSample> Fitted()
    {
        var all = Samples;
        var after = all.Where(s => s.At >= all[0].At + options.Warmup.TotalSeconds).ToList();
        var complete = after.Where(s => s.Members == options.Members).ToList();
        return complete.Count >= 3 ? complete : after.Count >= 3 ? after : all;
    }

    /// <summary>The slope of the least-squares line through (time, value), per hour.</summary>
    public static double PerHour(IReadOnlyList<ResourceSample> samples, Func<ResourceSample, double> value)
    {
        if (samples.Count < 2)
        {
            return 0;
        }

        var meanT = samples.Average(s => s.At);
        var meanV = samples.Average(value);
        var covariance = samples.Sum(s => (s.At - meanT) * (value(s) - meanV));
        var variance = samples.Sum(s => (s.At - meanT) * (s.At - meanT));
        return variance == 0 ? 0 : covariance / variance * 3600;
    }
}
