using System.Globalization;
using P2p.Benchmarks.Common;
using P2p.Benchmarks.Mesh;
using P2p.Signaling.Server;
using P2p.WebRtc.Dtls;

namespace P2p.Benchmarks.Report;

/// <summary>
/// The mesh section's child process: forms full meshes of the given sizes (after a warm-up of 3 members) on an
/// embedded signaling server and prints <c>MESH members ms gc-pause-ms</c> per run. The parent starts it with the
/// garbage collector it wants to measure (a process hosting many members is a server-like workload).
/// </summary>
public sealed class MeshFormScenario : IScenario
{
    public string Name => "mesh-form";

    public string Description => "child of the mesh section: full meshes in this process, one MESH line per run (--members 16,32 --runs 3)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Args(args);
        var sizes = (a.String("--members") ?? "16,32").Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var runs = a.Int("--runs", 3);
        await using var server = await EmbeddedSignalingServer.StartAsync(cancellationToken: cancellationToken);
        var certificate = RtcCertificate.Generate();
        await MeshWebRtcScenario.FormAsync(server.Uri, 3, certificate, cancellationToken);
        foreach (var n in sizes)
        {
            for (var run = 0; run < runs; run++)
            {
                var paused = GC.GetTotalPauseDuration();
                var ms = await MeshWebRtcScenario.FormAsync(server.Uri, n, certificate, cancellationToken);
                paused = GC.GetTotalPauseDuration() - paused;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MESH {n} {ms:F1} {paused.TotalMilliseconds:F1}"));
            }
        }

        return 0;
    }
}
