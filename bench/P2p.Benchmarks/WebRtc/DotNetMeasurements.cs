using System.Diagnostics;

namespace P2p.Benchmarks.WebRtc;

/// <summary>Throughput and round-trip measurements between two P2p.WebRtc peers.</summary>
internal static class DotNetMeasurements
{
    /// <summary>Sends <paramref name="total"/> bytes in <paramref name="size"/>-byte messages with back-pressure; MB/s until the last byte arrived.</summary>
    public static async Task<double> ThroughputAsync(DotNetPair pair, string label, long total, int size, CancellationToken ct)
    {
        var (local, remote) = await pair.OpenChannelAsync(label, ct);
        long got = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        remote.MessageReceived += (_, e) =>
        {
            if (Interlocked.Add(ref got, e.Data.Length) >= total)
            {
                done.TrySetResult();
            }
        };
        var message = new byte[size];
        new Random(size).NextBytes(message);
        var clock = Stopwatch.StartNew();
        for (long sent = 0; sent < total; sent += size)
        {
            await local.SendAsync(message, ct);
        }

        await done.Task.WaitAsync(TimeSpan.FromMinutes(5), ct);
        var seconds = clock.Elapsed.TotalSeconds;
        local.Close();
        return total / seconds / 1e6;
    }

    /// <summary>Round trips of <paramref name="size"/>-byte messages against an echo, in microseconds (warm-up excluded).</summary>
    public static async Task<double[]> RoundTripsAsync(DotNetPair pair, int count, int size, int warmup, CancellationToken ct)
    {
        var (local, remote) = await pair.OpenChannelAsync("ping", ct);
        remote.MessageReceived += (_, e) => remote.Send(e.Data.Span);
        var reply = new SemaphoreSlim(0);
        local.MessageReceived += (_, _) => reply.Release();
        var message = new byte[size];
        var rtts = new double[count];

        // A blocking wait on a dedicated thread: an await would add a thread-pool hop to every sample.
        await Task.Factory.StartNew(
            () =>
            {
                for (var i = 0; i < count + warmup; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    local.Send(message);
                    if (!reply.Wait(TimeSpan.FromSeconds(10), ct))
                    {
                        throw new TimeoutException($"no echo for ping {i}");
                    }

                    if (i >= warmup)
                    {
                        rtts[i - warmup] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    }
                }
            },
            ct,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        local.Close();
        return rtts;
    }
}
