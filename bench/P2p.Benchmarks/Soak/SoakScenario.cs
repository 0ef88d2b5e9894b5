using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.Benchmarks.Common;
using P2p.Core;
using P2p.Signaling.Server;
using P2p.Signaling.WebSockets;
using P2p.Transport.WebRtc;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Testing.Network;

namespace P2p.Benchmarks.Soak;

/// <summary>
/// A group under steady traffic with periodic faults: every member broadcasts sequenced messages and sends requests;
/// every few seconds one member's network path is cut for a while and restored, and every third fault is instead a
/// restart of the signaling server (stopped for 2 s, started again on the same port with the same resume key). The members run over a <see cref="VirtualNetwork"/> on the
/// system clock; signaling runs on 127.0.0.1. Reports messages lost (must be 0: the channels are reliable), duplicates,
/// refused sends, detection and recovery times, memory and threads.
/// </summary>
public sealed class SoakScenario : IScenario
{
    public string Name => "soak";

    public string Description => "group under traffic with periodic path cuts and signaling restarts (--minutes 3 --members 5 --fault-every 10 --seed 1)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Args(args);
        var duration = TimeSpan.FromMinutes(double.Parse(a.String("--minutes") ?? "3", CultureInfo.InvariantCulture));
        var count = a.Int("--members", 5);
        var faultEvery = TimeSpan.FromSeconds(a.Int("--fault-every", 10));
        var random = new Random(a.Int("--seed", 1));
        var clock = Stopwatch.StartNew();
        double Now() => clock.Elapsed.TotalSeconds;

        var resumeKey = SignalingServerOptions.NewResumeKey();
        var server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { ResumeKey = resumeKey }, cancellationToken);
        var serverRestarts = 0;
        using var net = new VirtualNetwork(a.Int("--seed", 1), TimeProvider.System);
        var members = new List<SoakMember>();
        for (var i = 0; i < count; i++)
        {
            var member = new SoakMember(net.Internet.AddHost($"m{i}"));
            var transport = new WebRtcPeerConnectionFactory(new WebRtcTransportOptions { Ice = new IceAgentOptions { SocketFactory = member.Host } });
            var signaling = await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: cancellationToken);
            var group = i == 0
                ? await Group.CreateAsync(signaling, transport, GroupCapability.All, member.Options(), new P2pOptions(), cancellationToken)
                : await Group.JoinAsync(signaling, transport, members[0].Group.Id, member.Options(), new P2pOptions(), cancellationToken);
            member.Attach(group, signaling, Now);
            members.Add(member);
        }

        // One member sits behind a lossy, slower link for the whole run.
        members[^1].Host.Link.Conditions = new LinkConditions { Loss = 0.02, Delay = TimeSpan.FromMilliseconds(20) };
        using (var formed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            formed.CancelAfter(TimeSpan.FromSeconds(60));
            await Task.WhenAll(members.Select(m => m.Group.WhenAllConnectedAsync(formed.Token)));
        }

        GC.Collect();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var threadsBefore = Process.GetCurrentProcess().Threads.Count;
        var faults = new List<(double At, double Length, string Member)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var traffic = members.Select(m => RunTrafficAsync(m, members, random.Next(), stop.Token)).ToArray();
        var end = clock.Elapsed + duration;
        while (clock.Elapsed + faultEvery < end)
        {
            await Task.Delay(faultEvery, cancellationToken);
            if ((faults.Count + serverRestarts + 1) % 3 == 0)
            {
                var port = server.Uri.Port;
                await server.DisposeAsync();
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { Url = $"http://127.0.0.1:{port}", ResumeKey = resumeKey }, cancellationToken);
                serverRestarts++;
                continue;
            }

            var victim = members[random.Next(members.Count)];
            var length = TimeSpan.FromSeconds(1 + (random.NextDouble() * 5));
            faults.Add((Now(), length.TotalSeconds, victim.Id));
            victim.Host.Link.Cut();
            await Task.Delay(length, cancellationToken);
            victim.Host.Link.Restore();
        }

        await Task.Delay(end - clock.Elapsed > TimeSpan.Zero ? end - clock.Elapsed : TimeSpan.Zero, cancellationToken);
        stop.Cancel();
        await Task.WhenAll(traffic);

        // Let what is in flight arrive: until every accepted copy is in, or 30 s.
        var settle = Stopwatch.StartNew();
        while (Lost(members) > 0 && settle.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100, cancellationToken);
        }

        GC.Collect();
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        var threadsAfter = Process.GetCurrentProcess().Threads.Count;
        Report(members, faults, serverRestarts, duration, memoryBefore, memoryAfter, threadsBefore, threadsAfter);
        foreach (var member in members)
        {
            await member.Group.DisposeAsync();
            await member.Signaling.DisposeAsync();
        }

        await server.DisposeAsync();
        return Lost(members) == 0 ? 0 : 1;
    }

    private static async Task RunTrafficAsync(SoakMember member, List<SoakMember> all, int seed, CancellationToken stop)
    {
        var random = new Random(seed);
        var tick = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(50, stop);
                await member.BroadcastAsync(stop);
                if (++tick % 10 == 0)
                {
                    var others = all.Where(m => m != member).ToArray();
                    _ = member.UnicastAsync(others[random.Next(others.Length)].Id, stop);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static long Lost(List<SoakMember> members) =>
        members.Sum(sender => members.Where(r => r != sender).Sum(receiver =>
            Math.Max(0, sender.Accepted.GetValueOrDefault(receiver.Id) - receiver.ReceivedFrom(sender.Id))));

    private static void Report(List<SoakMember> members, List<(double At, double Length, string Member)> faults, int serverRestarts, TimeSpan duration, long memoryBefore, long memoryAfter, int threadsBefore, int threadsAfter)
    {
        var accepted = members.Sum(m => m.Accepted.Values.Sum());
        var detections = new List<double>();
        var recoveries = new List<double>();
        foreach (var (at, length, victim) in faults)
        {
            foreach (var observer in members.Where(m => m.Id != victim))
            {
                // Only what happened before the next fault counts for this one (a cut too short to notice has no interruption).
                var seen = observer.States.Where(s => s.Peer == victim && s.At >= at && s.At < at + length + 10);
                if (seen.FirstOrDefault(s => s.State == PeerState.Interrupted) is { Peer: not null } interrupted)
                {
                    detections.Add(interrupted.At - at);
                    if (seen.FirstOrDefault(s => s.State == PeerState.Connected && s.At >= interrupted.At) is { Peer: not null } back)
                    {
                        recoveries.Add(back.At - (at + length));
                    }
                }
            }
        }

        string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
        Console.WriteLine($"Soak: {members.Count} members (one behind 2 % loss, 20 ms), {duration.TotalMinutes:0.#} min, {faults.Count} path cuts of 1–6 s, {serverRestarts} signaling server restarts");
        Console.WriteLine();
        Console.WriteLine("| measurement | value |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| broadcast copies accepted | {accepted} |");
        Console.WriteLine($"| **lost** (accepted, never received) | **{Lost(members)}** |");
        Console.WriteLine($"| duplicates | {members.Sum(m => m.Duplicates)} |");
        Console.WriteLine($"| refused at once (member not connected) | {members.Sum(m => m.Refused)} |");
        Console.WriteLine($"| requests answered / failed | {members.Sum(m => m.UnicastsAnswered)} / {members.Sum(m => m.UnicastsFailed)} |");
        if (detections.Count > 0)
        {
            Console.WriteLine($"| cut → Interrupted (s), median / worst of {detections.Count} | {F(Stats.Median(detections))} / {F(detections.Max())} |");
        }

        if (recoveries.Count > 0)
        {
            Console.WriteLine($"| restore → Connected (s), median / worst of {recoveries.Count} | {F(Stats.Median(recoveries))} / {F(recoveries.Max())} |");
        }

        Console.WriteLine($"| members failed / left | {members.Sum(m => m.States.Count(s => s.State == PeerState.Failed))} / {members.Sum(m => m.Left.Count)} |");
        Console.WriteLine($"| signaling resumed / closed for good | {members.Sum(m => m.Resumed)} / {members.Count(m => m.Signaling.IsClosed)} |");
        Console.WriteLine($"| managed memory before → after (MiB) | {memoryBefore / 1048576.0:F1} → {memoryAfter / 1048576.0:F1} |");
        Console.WriteLine($"| threads before → after | {threadsBefore} → {threadsAfter} |");
    }
}
