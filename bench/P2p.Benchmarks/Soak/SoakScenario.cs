using System.Diagnostics;
using P2p.Signaling.Server;
using P2p.WebRtc.Testing.Network;

namespace P2p.Benchmarks.Soak;

/// <summary>
/// A group under steady traffic, faults and churn for a configurable time (docs/benchmarks.md, "Soak"): 8 members by
/// default, 2 of them behind lossy links, on a <see cref="VirtualNetwork"/> on the system clock, signaling on
/// 127.0.0.1; path cuts, graceful leaves, crashes, joins and signaling server restarts (<see cref="SoakChurn"/>).
/// Reports messages lost (must be 0: the channels are reliable; <see cref="SoakLoss"/> has the rule), duplicates,
/// requests, detection times, and the growth of memory, handles, threads and timers (<see cref="ResourceSampler"/>).
/// Exit code 1 when a message was lost or a departed member is still listed at the end.
/// </summary>
public sealed class SoakScenario : IScenario
{
    public string Name => "soak";

    public string Description => "group under traffic with path cuts, leaves, crashes, joins and signaling restarts (--minutes 3 --members 8 --lossy 2 --fault-every 10 --seed 1)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var options = SoakOptions.Parse(args);
        var clock = Stopwatch.StartNew();
        double Now() => clock.Elapsed.TotalSeconds;

        var resumeKey = SignalingServerOptions.NewResumeKey();
        var server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { ResumeKey = resumeKey }, cancellationToken);
        var port = server.Uri.Port;
        var leaks = new LeakCheck();
        async Task RestartServerAsync()
        {
            leaks.Stopped(server.Services);
            await server.DisposeAsync();
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { Url = $"http://127.0.0.1:{port}", ResumeKey = resumeKey }, cancellationToken);
        }

        using var net = new VirtualNetwork(options.Seed, TimeProvider.System);
        var roster = new SoakRoster(options, net, server.Uri, leaks, Now);
        for (var slot = 0; slot < options.Members; slot++)
        {
            await roster.JoinAsync(slot, roster.NewHost(slot), cancellationToken);
        }

        using (var formed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            formed.CancelAfter(TimeSpan.FromSeconds(60));
            await Task.WhenAll(roster.Present.Select(m => m.Group!.WhenAllConnectedAsync(formed.Token)));
        }

        var sampler = new ResourceSampler(options, Now, () => roster.Present.Count);
        sampler.Sample();
        var seeds = new Random(options.Seed);
        foreach (var member in roster.Present)
        {
            member.Traffic = SoakTraffic.Start(member, roster, seeds.Next());
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampling = sampler.RunAsync(stop.Token);
        var churn = new SoakChurn(options, roster, RestartServerAsync, Now);
        var end = Now() + options.Duration.TotalSeconds;
        try
        {
            await churn.RunAsync(() => Now() + options.FaultEvery.TotalSeconds > end, stop.Token);
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, end - Now())), cancellationToken);
        }
        finally
        {
            sampler.Sample(); // the last look under traffic
            await stop.CancelAsync();
            await churn.WhenJoinedAsync();
            await sampling;
        }

        foreach (var member in roster.Present)
        {
            await member.TrafficStop.CancelAsync();
            await member.Traffic;
        }

        // Let what is in flight arrive, the last departures be noticed and the last joins connect: until nothing is
        // owed, nobody departed is listed and every present pair is connected, or 60 s.
        var settle = Stopwatch.StartNew();
        while ((SoakLoss.Of(roster.All).Lost > 0 || SoakReport.StaleMembers(roster.All) > 0 || SoakReport.Unconnected(roster.All) > 0) && settle.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(200, cancellationToken);
        }

        SoakReport.Print(options, roster, churn, sampler, leaks, options.Members);
        var failed = SoakLoss.Of(roster.All).Lost > 0 || SoakReport.StaleMembers(roster.All) > 0 || leaks.Alive().Any;
        await roster.DisposeAllAsync();
        await server.DisposeAsync();
        return failed ? 1 : 0;
    }
}
