using System.Globalization;
using P2p.Benchmarks.Common;
using P2p.Benchmarks.Signaling;

namespace P2p.Benchmarks.Report;

/// <summary>
/// The signaling server in a child process: relay round trips per second with N clients (groups of 4,
/// 8 relays in flight per client, every relay answered by its target), and the server's memory per
/// idle connection (after connect + init, full GC) — plus the client SDK's own memory per connection.
/// </summary>
internal static class SignalingSection
{
    private const int GroupSize = 4;
    private const int InFlight = 8;

    public static async Task RunAsync(Settings s, Context c, CancellationToken ct)
    {
        foreach (var clients in s.SignalingClients)
        {
            await using var server = await SignalingServerProcess.StartAsync();
            var serverBefore = await server.MemoryAsync();
            var clientBefore = ProcessMemory.Measure();
            var (channels, ids) = await SignalingLoad.ConnectAsync(server.Uri, clients, ct);
            var serverAfter = await server.MemoryAsync();
            var clientAfter = ProcessMemory.Measure();
            await using var load = await SignalingLoad.FormGroupsAsync(channels, ids, GroupSize, ct);

            await load.RunAsync(InFlight, TimeSpan.FromSeconds(Math.Min(5, s.SignalingSeconds)), measure: false, ct);
            var samples = new List<double>();
            SignalingLoadResult? last = null;
            for (var run = 0; run < 3; run++)
            {
                last = await load.RunAsync(InFlight, TimeSpan.FromSeconds(s.SignalingSeconds / 3.0), measure: true, ct);
                samples.Add(last.RelaysPerSecond);
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {clients} clients: {string.Join(' ', samples.Select(x => x.ToString("F0", CultureInfo.InvariantCulture)))} relays/s, client CPU {last!.CpuCores:F2} cores, p50 {last.P50Us:F0} µs p99 {last.P99Us:F0} µs"));
            c.Table.Add("signaling", $"relays/s, {clients} clients (groups of {GroupSize}, {InFlight} in flight each; p50 / p99 {last.P50Us / 1000:F1} / {last.P99Us / 1000:F1} ms)", samples, null, "F0",
                clients == 200 ? "≥ 60,000" : "", clients == 200 ? (m, _) => m >= 60_000 : null);
            var heap = (serverAfter.ManagedHeap - serverBefore.ManagedHeap) / 1024.0 / clients;
            var ws = (serverAfter.WorkingSet - serverBefore.WorkingSet) / 1024.0 / clients;
            var clientHeap = (clientAfter.ManagedHeap - clientBefore.ManagedHeap) / 1024.0 / clients;
            c.Table.Add("signaling", $"server memory per idle connection, {clients} connected (KiB): managed heap / working set",
                string.Create(CultureInfo.InvariantCulture, $"{heap:F1} / {ws:F1}"), "≤ 20 KiB (heap)", heap <= 20);
            c.Table.Add("signaling", $"client SDK managed heap per connection, {clients} connected (KiB)", clientHeap.ToString("F1", CultureInfo.InvariantCulture));
        }
    }
}
