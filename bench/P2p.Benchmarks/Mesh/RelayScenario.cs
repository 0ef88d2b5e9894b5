using System.Diagnostics;
using System.Globalization;
using P2p.Benchmarks.Common;
using P2p.Core;
using P2p.Signaling.Server;
using P2p.Signaling.WebSockets;
using P2p.Testing;
using P2p.WebRtc.Dtls;

namespace P2p.Benchmarks.Mesh;

/// <summary>
/// What a relay costs (docs/concepts.md, "Relayed members"): three .NET members over WebRTC on loopback; A and B
/// cannot connect to each other (their transports refuse it) and talk through C. In the same run, A measures request
/// round trips and one-way throughput to C (direct) and to B (relayed through C).
/// </summary>
public sealed class RelayScenario : IScenario
{
    public string Name => "relay";

    public string Description => "relayed member vs direct link over WebRTC on loopback: RTT and throughput (--requests 2000 --mib 128)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Args(args);
        var requests = a.Int("--requests", 2000);
        var mebibytes = a.Int("--mib", 128);
        await using var server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions(), cancellationToken);
        var certificate = RtcCertificate.Generate();
        var options = new GroupOptions { RequestHandler = (_, data, _) => ValueTask.FromResult(data.Length > 64 ? ReadOnlyMemory<byte>.Empty : data) };

        var signalingA = await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: cancellationToken);
        var signalingB = await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: cancellationToken);
        var idA = await signalingA.InitAsync(cancellationToken);
        var idB = await signalingB.InitAsync(cancellationToken);
        var transportA = new BlockingPeerConnectionFactory(MeshWebRtcScenario.Transport(certificate));
        var transportB = new BlockingPeerConnectionFactory(MeshWebRtcScenario.Transport(certificate));
        transportA.Block(idB);
        transportB.Block(idA);

        await using var c = await Group.CreateAsync(
            await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: cancellationToken), MeshWebRtcScenario.Transport(certificate), GroupCapability.All, options, cancellationToken: cancellationToken);
        await using var groupA = await Group.JoinAsync(signalingA, transportA, c.Id, options, cancellationToken: cancellationToken);
        await using var groupB = await Group.JoinAsync(signalingB, transportB, c.Id, options, cancellationToken: cancellationToken);
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            await Task.WhenAll(groupA.WhenAllConnectedAsync(timeout.Token), groupB.WhenAllConnectedAsync(timeout.Token), c.WhenAllConnectedAsync(timeout.Token));
        }

        var peerB = groupA.GetMember(idB)!;
        if (peerB.State != PeerState.Relayed || peerB.RelayedVia != c.LocalMember.Id)
        {
            Console.Error.WriteLine($"B is {peerB.State} (via {peerB.RelayedVia ?? "nobody"}), not relayed through C");
            return 1;
        }

        // Warm-up of both paths, then the same measurements on each.
        await RoundTripsAsync(groupA, c.LocalMember.Id, 200, cancellationToken);
        await RoundTripsAsync(groupA, idB, 200, cancellationToken);
        await ThroughputAsync(groupA, c.LocalMember.Id, 4, cancellationToken);
        await ThroughputAsync(groupA, idB, 4, cancellationToken);
        var directRtt = await RoundTripsAsync(groupA, c.LocalMember.Id, requests, cancellationToken);
        var relayedRtt = await RoundTripsAsync(groupA, idB, requests, cancellationToken);
        var directLarge = await ThroughputAsync(groupA, c.LocalMember.Id, mebibytes, cancellationToken);
        var relayedLarge = await ThroughputAsync(groupA, idB, mebibytes, cancellationToken);
        var directOne = await LargeMessageAsync(groupA, c.LocalMember.Id, cancellationToken);
        var relayedOne = await LargeMessageAsync(groupA, idB, cancellationToken);

        Console.WriteLine($"Relayed member vs direct link, WebRTC on loopback, {Environment.ProcessorCount} cores, one process (A, B and relay C share the cores)");
        Console.WriteLine();
        Console.WriteLine("| measurement | direct A→C | relayed A→C→B | relay's cost |");
        Console.WriteLine("|---|---:|---:|---:|");
        Row($"32 B request→reply round trip, p50 (µs), {requests} sequential", Stats.Median(directRtt), Stats.Median(relayedRtt), "F0", "+{0:F0} µs");
        Row("32 B request→reply round trip, p99 (µs)", Stats.Percentile(directRtt, 99), Stats.Percentile(relayedRtt, 99), "F0", "+{0:F0} µs");
        Row($"1 MiB requests, 8 in flight, {mebibytes} MiB (MB/s one way)", directLarge, relayedLarge, "F1", "×{0:F2}", ratio: true);
        Row("one 16 MiB request (MB/s)", directOne, relayedOne, "F1", "×{0:F2}", ratio: true);
        return 0;
    }

    private static void Row(string what, double direct, double relayed, string format, string cost, bool ratio = false) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {what} | {direct.ToString(format, CultureInfo.InvariantCulture)} | {relayed.ToString(format, CultureInfo.InvariantCulture)} | {string.Format(CultureInfo.InvariantCulture, cost, ratio ? relayed / direct : relayed - direct)} |"));

    /// <summary>Sequential 32-byte requests; each round trip in microseconds.</summary>
    private static async Task<List<double>> RoundTripsAsync(IGroup group, string to, int count, CancellationToken ct)
    {
        var payload = new byte[32];
        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await group.UnicastAsync(to, payload, ct);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        return samples;
    }

    /// <summary>1 MiB requests (answered with nothing), 8 in flight; megabytes per second one way.</summary>
    private static async Task<double> ThroughputAsync(IGroup group, string to, int mebibytes, CancellationToken ct)
    {
        var payload = new byte[1024 * 1024];
        var next = 0;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= mebibytes)
            {
                await group.UnicastAsync(to, payload, ct);
            }
        }));

        return mebibytes * payload.Length / Stopwatch.GetElapsedTime(started).TotalSeconds / 1e6;
    }

    /// <summary>One 16 MiB request (answered with nothing); megabytes per second.</summary>
    private static async Task<double> LargeMessageAsync(IGroup group, string to, CancellationToken ct)
    {
        var payload = new byte[16 * 1024 * 1024];
        var started = Stopwatch.GetTimestamp();
        await group.UnicastAsync(to, payload, ct);
        return payload.Length / Stopwatch.GetElapsedTime(started).TotalSeconds / 1e6;
    }
}
