using System.Globalization;
using P2p.Benchmarks.Signaling;

namespace P2p.Benchmarks.Report;

/// <summary>
/// The signaling server as a cluster (<see cref="SignalingClusterRun"/>): 3 instances sharing one Redis and N clients
/// in groups of 3 whose members sit on three different instances, beside one in-memory instance under the same load;
/// relays/s with p50 / p99 round trips, and the relays that failed (a cluster without a working backplane fails them).
/// </summary>
internal static class SignalingClusterSection
{
    private const int Instances = 3;

    public static async Task RunAsync(Settings s, Context c, CancellationToken ct)
    {
        var load = new SignalingClusterLoad(s.ClusterClients, GroupSize: 3, InFlight: 1, Seconds: s.SignalingSeconds, Warmup: Math.Min(3, s.SignalingSeconds));
        SignalingClusterResult cluster;
        await using (var redis = await SignalingClusterRun.StartRedisAsync(ct))
        {
            cluster = await SignalingClusterRun.RunAsync(Instances, SignalingClusterRun.ConnectionString(redis), load, ct);
        }

        var single = await SignalingClusterRun.RunAsync(1, null, load, ct);
        foreach (var r in new[] { cluster, single })
        {
            var l = r.Load;
            var failed = l.Failed + r.JoinFailures == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"; {r.JoinFailures} joins refused, {l.Failed / l.Seconds:F0} failed relays/s: {l.FirstError ?? r.FirstJoinError}");
            c.Table.Add("signaling-cluster", string.Create(CultureInfo.InvariantCulture,
                $"relays/s, {r.Setup}, {load.Clients} clients (groups of {load.GroupSize}{(r.Instances > 1 ? " on different instances" : "")}, {load.InFlight} in flight each; p50 / p99 {l.P50Us / 1000:F1} / {l.P99Us / 1000:F1} ms{failed})"),
                l.RelaysPerSecond.ToString("F0", CultureInfo.InvariantCulture));
        }
    }
}
