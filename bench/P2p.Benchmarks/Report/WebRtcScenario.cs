using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Report;

/// <summary>The data channel part of the report only: set-up, throughput and round trips beside Chromium.</summary>
public sealed class WebRtcScenario : IScenario
{
    public string Name => "webrtc";

    public string Description => "'all --only set-up,throughput,latency' (--mib 64 --kib 16,64,256 --runs 3 --pings 2000 --setups 20 [--no-chromium])";

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken) =>
        ReportRunner.RunAsync("P2p.Benchmarks webrtc " + string.Join(' ', args), Settings.Parse([.. args, "--only", "set-up,throughput,latency"]), new Args(args).String("--out"), cancellationToken);
}
