using System.Diagnostics;
using System.Globalization;
using System.Net;
using P2p.Benchmarks.Common;
using P2p.Signaling.Server;
using P2p.Core;
using P2p.Signaling.WebSockets;
using P2p.Testing.Chromium;
using P2p.Transport.WebRtc;
using P2p.WebRtc.Dtls;

namespace P2p.Benchmarks.Mesh;

/// <summary>
/// Full-mesh formation with the real WebRTC transport on loopback: N .NET members join one group at
/// once (time from the first join to every member connected to every other), and a Chromium page
/// running the browser client joins a group of 4 .NET members (time from its join to connected to all).
/// </summary>
public sealed class MeshWebRtcScenario : IScenario
{
    public string Name => "mesh-webrtc";

    public string Description => "full mesh over WebRTC: N .NET members (--members 4,8,16 --runs 3), a browser page joining 4 .NET members [--no-chromium]";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Args(args);
        var sizes = (a.String("--members") ?? "4,8,16").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var runs = a.Int("--runs", 3);
        await using var server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { Configure = o => o.ServeBrowserClient = true }, cancellationToken);
        var certificate = RtcCertificate.Generate();

        // Warm-up: JIT of every layer, so the first measured run is not a cold start.
        await FormAsync(server.Uri, 3, certificate, cancellationToken);

        Console.WriteLine($"Full mesh over WebRTC on loopback, {Environment.ProcessorCount} cores, median of {runs} (after a warm-up)");
        Console.WriteLine();
        Console.WriteLine("| measurement | median | spread |");
        Console.WriteLine("|---|---|---|");
        foreach (var n in sizes)
        {
            var samples = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                samples.Add(await FormAsync(server.Uri, n, certificate, cancellationToken));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {n} .NET members join at once → full mesh ({n * (n - 1) / 2} links) (ms) | {Stats.Median(samples):F0} | {Stats.Spread(samples, "F0")} |"));
        }

        if (!a.Flag("--no-chromium"))
        {
            var samples = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                samples.Add(await BrowserJoinsAsync(server, certificate, cancellationToken));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| a Chromium page joins a group of 4 .NET members → connected to all (ms) | {Stats.Median(samples):F0} | {Stats.Spread(samples, "F0")} |"));
        }

        return 0;
    }

    /// <summary>N members join one group at once; milliseconds from the first join to a full mesh.</summary>
    internal static async Task<double> FormAsync(Uri server, int count, RtcCertificate certificate, CancellationToken ct)
    {
        var signaling = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => WebSocketSignalingChannel.ConnectAsync(server, cancellationToken: ct)));
        var groups = new List<IGroup>();
        try
        {
            var clock = Stopwatch.StartNew();
            var owner = await Group.CreateAsync(signaling[0], Transport(certificate), GroupCapability.All, cancellationToken: ct);
            groups.Add(owner);
            groups.AddRange(await Task.WhenAll(signaling.Skip(1).Select(s => Group.JoinAsync(s, Transport(certificate), owner.Id, cancellationToken: ct))));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            await Task.WhenAll(groups.Select(g => g.WhenAllConnectedAsync(timeout.Token)));
            return clock.Elapsed.TotalMilliseconds;
        }
        finally
        {
            await Task.WhenAll(groups.Select(g => g.DisposeAsync().AsTask()));
        }
    }

    /// <summary>A page of the server's own origin loads /p2p.js and joins a group of 4 .NET members; milliseconds to connected to all.</summary>
    private static async Task<double> BrowserJoinsAsync(EmbeddedSignalingServer server, RtcCertificate certificate, CancellationToken ct)
    {
        var groups = new List<IGroup>();
        await using var chromium = await ChromiumBrowser.LaunchAsync();
        try
        {
            var owner = await Group.CreateAsync(await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: ct), Transport(certificate), GroupCapability.All, cancellationToken: ct);
            groups.Add(owner);
            for (var i = 0; i < 3; i++)
            {
                groups.Add(await Group.JoinAsync(await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: ct), Transport(certificate), owner.Id, cancellationToken: ct));
            }

            await Task.WhenAll(groups.Select(g => g.WhenAllConnectedAsync(ct)));
            var context = await chromium.NewContextAsync(server.HttpUri);
            var page = await context.NewPageAsync();
            await page.GotoAsync(server.HttpUri.ToString());
            // Timed inside the page: from joinGroup until every member is connected.
            return await page.EvaluateAsync<double>(
                """
                async (groupId) => {
                  const p2p = await import('/p2p.js');
                  const service = await p2p.P2pService.connect(undefined, { candidateFilter: (c) => / 127\.0\.0\.1 /.test(` ${c.candidate} `) });
                  await service.join();
                  const start = performance.now();
                  const group = await service.joinGroup(groupId);
                  await group.whenAllConnected({ timeout: 30000 });
                  const elapsed = performance.now() - start;
                  await service.close();
                  return elapsed;
                }
                """, owner.Id);
        }
        finally
        {
            await Task.WhenAll(groups.Select(g => g.DisposeAsync().AsTask()));
        }
    }

    internal static WebRtcPeerConnectionFactory Transport(RtcCertificate certificate) =>
        new(new WebRtcTransportOptions { AddressFilter = a => a.Equals(IPAddress.Loopback), Certificate = certificate });
}
