using System.Diagnostics;
using System.Globalization;
using P2p.WebRtc.Net;
using P2p.WebRtc.Sctp;

namespace P2p.Benchmarks.Sctp;

/// <summary>
/// SCTP throughput and latency: bulk transfer of N MiB in M KiB messages (reliable, ordered, with
/// SendAsync back-pressure) between two <see cref="SctpTransport"/>s over an in-memory link and over
/// UDP on 127.0.0.1, the same with the two associations pumped by one thread without any transport
/// ("direct": the SCTP layer's own CPU cost), and a 32-byte ping-pong round-trip time.
/// Usage: sctp [--mib 64] [--msg-kib 64] [--rounds 10000] [--modes direct,memory,udp] [--ack-every 2] [--rwnd-kib 4096]
/// </summary>
public sealed class SctpScenario : IScenario
{
    public string Name => "sctp";

    public string Description => "SCTP bulk throughput (64 MiB in 64 KiB messages) and 32 B ping-pong RTT, in-memory and UDP loopback";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var mib = IntArg(args, "--mib", 64);
        var msgKib = IntArg(args, "--msg-kib", 64);
        var rounds = IntArg(args, "--rounds", 10000);
        var modes = StringArg(args, "--modes", "direct,memory,udp").Split(',');
        var options = new SctpOptions
        {
            MaxMessageSize = Math.Max(262144, msgKib * 1024),
            MaxReceiveMessageSize = Math.Max(262144, msgKib * 1024),
            AckEveryPackets = IntArg(args, "--ack-every", new SctpOptions().AckEveryPackets),
            ReceiveWindow = IntArg(args, "--rwnd-kib", new SctpOptions().ReceiveWindow / 1024) * 1024,
        };

        Console.WriteLine($"## SCTP bulk: {mib} MiB in {msgKib} KiB messages, 1200-byte packets, one reliable ordered stream");
        Console.WriteLine();
        Console.WriteLine("| path | MB/s | MiB/s | seconds | packets sent | retransmitted chunks | SACKs received | final cwnd | SRTT µs |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var mode in modes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Warm-up (JIT, pools), then the measured run.
            await BulkAsync(mode, options, mib, msgKib, cancellationToken);
            var (seconds, metrics) = await BulkAsync(mode, options, mib, msgKib, cancellationToken);
            var bytes = (double)mib * 1024 * 1024;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {mode} | {bytes / seconds / 1e6:F0} | {bytes / seconds / 1048576:F0} | {seconds:F3} | {metrics.PacketsSent} | {metrics.DataChunksRetransmitted} | {metrics.SacksReceived} | {metrics.CongestionWindow} | {metrics.SmoothedRtt?.TotalMicroseconds:F0} |"));
        }

        if (modes.Contains("udp"))
        {
            var (rawSeconds, rawBytes) = await RawUdpAsync(mib);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| raw UDP datagrams, no SCTP (reference) | {rawBytes / rawSeconds / 1e6:F0} | {rawBytes / rawSeconds / 1048576:F0} | {rawSeconds:F3} | {(long)mib * 1024 * 1024 / 1200} | | | | |"));
        }

        Console.WriteLine();
        Console.WriteLine($"## SCTP ping-pong: 32-byte message echoed, {rounds} round trips");
        Console.WriteLine();
        Console.WriteLine("| path | p50 µs | p99 µs | mean µs |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var mode in modes.Where(m => m != "direct"))
        {
            await PingPongAsync(mode, options, Math.Min(rounds, 1000), cancellationToken);
            var samples = await PingPongAsync(mode, options, rounds, cancellationToken);
            Array.Sort(samples);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {mode} | {Percentile(samples, 0.50):F0} | {Percentile(samples, 0.99):F0} | {samples.Average():F0} |"));
        }

        return 0;
    }

    private static async Task<(double Seconds, SctpMetrics Metrics)> BulkAsync(string mode, SctpOptions options, int mib, int msgKib, CancellationToken ct)
    {
        if (mode == "direct")
        {
            return Direct(options, mib, msgKib);
        }

        var (ta, tb, cleanup) = CreateTransports(mode);
        try
        {
            await using var a = new SctpTransport(ta, options);
            await using var b = new SctpTransport(tb, options);
            await Task.WhenAll(a.ConnectAsync(ct), b.ConnectAsync(ct)).WaitAsync(TimeSpan.FromSeconds(10), ct);
            var total = (long)mib * 1024 * 1024;
            var message = new byte[msgKib * 1024];
            long received = 0;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            b.MessageReceived += (_, m) =>
            {
                if ((received += m.Payload.Length) >= total)
                {
                    done.TrySetResult();
                }
            };
            var sw = Stopwatch.StartNew();
            for (long sent = 0; sent < total; sent += message.Length)
            {
                await a.SendAsync(0, 53, message, default, ct);
            }

            await done.Task.WaitAsync(TimeSpan.FromMinutes(5), ct);
            var seconds = sw.Elapsed.TotalSeconds;
            return (seconds, a.GetMetrics());
        }
        finally
        {
            await cleanup();
        }
    }

    /// <summary>The same UDP transport without SCTP: 1200-byte datagrams sent as fast as possible, bytes received per second.</summary>
    private static async Task<(double Seconds, long Bytes)> RawUdpAsync(int mib)
    {
        var (a, b) = BenchUdpTransport.CreatePair();
        try
        {
            var count = (long)mib * 1024 * 1024 / 1200;
            long received = 0;
            var last = new Stopwatch();
            var sw = Stopwatch.StartNew();
            b.SetReceiveHandler(d =>
            {
                received += d.Length;
                last.Restart();
            });
            var datagram = new byte[1200];
            for (long i = 0; i < count; i++)
            {
                a.Send(datagram);
            }

            while (Volatile.Read(ref received) < count * 1200 && (!last.IsRunning || last.ElapsedMilliseconds < 200))
            {
                await Task.Delay(10);
            }

            var seconds = sw.Elapsed.TotalSeconds - (Volatile.Read(ref received) < count * 1200 ? last.Elapsed.TotalSeconds : 0);
            return (seconds, Volatile.Read(ref received));
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
        }
    }

    /// <summary>Both associations driven by this thread, packets handed over directly: the SCTP layer's own cost.</summary>
    private static (double Seconds, SctpMetrics Metrics) Direct(SctpOptions options, int mib, int msgKib)
    {
        var a = new SctpAssociation(options);
        var b = new SctpAssociation(options);
        var buffer = new byte[options.MaxPacketSize];
        var clock = Stopwatch.StartNew();
        TimeSpan Now() => clock.Elapsed;
        void Pump(SctpAssociation from, SctpAssociation to)
        {
            int n;
            while ((n = from.BuildPacket(buffer, Now())) > 0)
            {
                to.HandlePacket(buffer.AsSpan(0, n), Now());
            }
        }

        a.Connect(Now());
        b.Connect(Now());
        for (var i = 0; i < 10 && (a.State != SctpAssociationState.Established || b.State != SctpAssociationState.Established); i++)
        {
            Pump(a, b);
            Pump(b, a);
        }

        var total = (long)mib * 1024 * 1024;
        var message = new byte[msgKib * 1024];
        long sent = 0, received = 0;
        var sw = Stopwatch.StartNew();
        while (received < total)
        {
            while (sent < total && a.TotalBufferedAmount < 4 * 1024 * 1024)
            {
                a.Send(0, 53, message, default, Now());
                sent += message.Length;
            }

            Pump(a, b);
            while (b.TryDequeueEvent(out var e))
            {
                if (e.Type == SctpEventType.MessageReceived)
                {
                    received += e.Message.Payload.Length;
                }
            }

            b.HandleTimeout(Now());
            Pump(b, a);
            a.HandleTimeout(Now());
            while (a.TryDequeueEvent(out _))
            {
            }
        }

        return (sw.Elapsed.TotalSeconds, a.GetMetrics());
    }

    private static async Task<double[]> PingPongAsync(string mode, SctpOptions options, int rounds, CancellationToken ct)
    {
        var (ta, tb, cleanup) = CreateTransports(mode);
        try
        {
            await using var a = new SctpTransport(ta, options);
            await using var b = new SctpTransport(tb, options);
            await Task.WhenAll(a.ConnectAsync(ct), b.ConnectAsync(ct)).WaitAsync(TimeSpan.FromSeconds(10), ct);
            b.MessageReceived += (_, m) => b.Send(m.StreamId, m.Ppid, m.Payload.Span);
            var samples = new double[rounds];
            var payload = new byte[32];
            var i = 0;
            var sw = new Stopwatch();
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            a.MessageReceived += (_, _) =>
            {
                samples[i++] = sw.Elapsed.TotalMicroseconds;
                if (i == rounds)
                {
                    done.TrySetResult();
                    return;
                }

                sw.Restart();
                a.Send(1, 51, payload);
            };
            sw.Start();
            a.Send(1, 51, payload);
            await done.Task.WaitAsync(TimeSpan.FromMinutes(5), ct);
            return samples;
        }
        finally
        {
            await cleanup();
        }
    }

    private static (IDatagramTransport A, IDatagramTransport B, Func<ValueTask> Cleanup) CreateTransports(string mode)
    {
        switch (mode)
        {
            case "memory":
                var link = new BenchMemoryLink();
                return (link.A, link.B, link.DisposeAsync);
            case "udp":
                var (ua, ub) = BenchUdpTransport.CreatePair();
                return (ua, ub, async () =>
                {
                    await ua.DisposeAsync();
                    await ub.DisposeAsync();
                });
            default:
                throw new ArgumentException($"unknown mode {mode} (direct, memory, udp)");
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string StringArg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
