using System.Globalization;
using P2p.Benchmarks.Common;
using P2p.Benchmarks.Mesh;
using P2p.Signaling.Server;
using P2p.WebRtc.Dtls;

namespace P2p.Benchmarks.Profiling;

/// <summary>
/// What forming a full mesh over WebRTC costs the process besides CPU: bytes allocated per link by type (GC
/// AllocationTick sampling), garbage collections and the time the runtime was paused for them, and the peak thread
/// count — the evidence behind the mesh rows.
/// </summary>
public sealed class MeshAllocationProfileScenario : IScenario
{
    public string Name => "alloc-profile-mesh";

    public string Description => "what forming a full mesh allocates per link, by type, with GC pauses and threads (--members 16 --top 25)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Args(args);
        var members = a.Int("--members", 16);
        var top = a.Int("--top", 25);
        await using var server = await EmbeddedSignalingServer.StartAsync(cancellationToken: cancellationToken);
        var certificate = RtcCertificate.Generate();
        await MeshWebRtcScenario.FormAsync(server.Uri, 3, certificate, cancellationToken);

        using var sampler = new AllocationSampler();
        var links = members * (members - 1) / 2;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var pausesBefore = GC.GetTotalPauseDuration();
        var gen0Before = GC.CollectionCount(0);
        var gen1Before = GC.CollectionCount(1);
        var gen2Before = GC.CollectionCount(2);
        using var threads = new PeakThreadCount();
        var cpuBefore = Environment.CpuUsage.TotalTime;
        sampler.Start();
        var elapsed = await MeshWebRtcScenario.FormAsync(server.Uri, members, certificate, cancellationToken);
        sampler.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        var pauses = GC.GetTotalPauseDuration() - pausesBefore;
        var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{members} members, {links} links: formed and closed in {elapsed:F0} ms (formation only); {allocated / 1048576.0:F1} MiB allocated, {allocated / (double)links / 1024:F0} KiB per link"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GCs gen0/gen1/gen2: {GC.CollectionCount(0) - gen0Before}/{GC.CollectionCount(1) - gen1Before}/{GC.CollectionCount(2) - gen2Before}, paused {pauses.TotalMilliseconds:F0} ms; peak threads {threads.Peak}; CPU {cpu.TotalMilliseconds:F0} ms ({cpu.TotalMilliseconds / links:F1} ms per link)"));
        foreach (var (type, share) in sampler.Shares().Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {share * 100,5:F1} %  ~{share * allocated / links / 1024,6:F1} KiB/link  {type}"));
        }

        return 0;
    }

    /// <summary>Samples the process's thread count (the Threads line of /proc/self/status) every 20 ms and keeps the highest.</summary>
    private sealed class PeakThreadCount : IDisposable
    {
        private readonly Timer _timer;
        private int _peak;

        public PeakThreadCount() => _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(20));

        public int Peak
        {
            get
            {
                Sample();
                return Volatile.Read(ref _peak);
            }
        }

        public void Dispose() => _timer.Dispose();

        private void Sample()
        {
            var count = 0;
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    count = int.Parse(line.AsSpan(8).Trim(), CultureInfo.InvariantCulture);
                    break;
                }
            }

            int seen;
            while (count > (seen = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, count, seen) != seen)
            {
            }
        }
    }
}
