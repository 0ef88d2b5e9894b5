using System.Diagnostics;
using System.Globalization;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Testing.Transports;

namespace P2p.Benchmarks.Dtls;

/// <summary>
/// <c>dtls</c>: certificate generation time, handshake time (median of N, two DtlsTransports over
/// UDP on 127.0.0.1) and bulk one-way throughput of fixed-size records between two connected
/// DtlsTransports over UDP on 127.0.0.1, with BouncyCastle's own DtlsTransport data path on a
/// socket as the baseline.
/// </summary>
/// <remarks>
/// Throughput runs with a window: the sender keeps at most <c>--window</c> records in flight
/// (credits returned in-process by the receiver every 64 records), which keeps the 4 MiB socket
/// buffers from overflowing, so the figure is the DTLS path's capacity rather than UDP loss.
/// </remarks>
public sealed class DtlsScenario : IScenario
{
    private const int Batch = 64;

    public string Name => "dtls";

    public string Description => "DTLS 1.2: cert generation, handshake ms, 1200-byte record throughput over UDP loopback [--records N --size B --handshakes N --window W --no-baseline]";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var records = Option(args, "--records", 400_000);
        var size = Option(args, "--size", 1200);
        var handshakes = Option(args, "--handshakes", 40);
        var window = Option(args, "--window", 1024);
        var baseline = !args.Contains("--no-baseline");
        var mtu = size + 13 + DtlsRecordLayer.MaxCipherOverhead;

        // Warm-up: JIT the handshake, the record path and certificate generation.
        for (var i = 0; i < 3; i++)
        {
            await HandshakeOnceAsync(mtu);
        }

        await RunThroughputAsync(20_000, size, window, mtu, cancellationToken);

        var generation = Measure(200, () => RtcCertificate.Generate());
        var handshake = new List<double>();
        var pipeHandshake = new List<double>();
        for (var i = 0; i < handshakes; i++)
        {
            handshake.Add(await HandshakeOnceAsync(mtu));
            pipeHandshake.Add(await PipeHandshakeOnceAsync(mtu));
        }

        var pipe = await RunPipeThroughputAsync(records, size, mtu, cancellationToken);
        var ours = await RunThroughputAsync(records, size, window, mtu, cancellationToken);
        var bc = baseline ? RunBaselineThroughput(records, size, window, mtu) : default;

        Console.WriteLine($"## DTLS 1.2 ({Environment.ProcessorCount} cores, {records} records of {size} bytes, window {window})");
        Console.WriteLine();
        Console.WriteLine("| measurement | median | p90 | min |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(Row("certificate generation (ECDSA P-256, self-signed), ms", generation));
        Console.WriteLine(Row($"handshake (mutual ECDSA, UDP loopback, N={handshakes}), ms", handshake));
        Console.WriteLine(Row($"handshake (mutual ECDSA, in-process pipe, N={handshakes}), ms", pipeHandshake));
        Console.WriteLine();
        Console.WriteLine("| data path | MB/s | records/s | lost | allocated bytes/record | gen0 GCs |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Console.WriteLine(Row("DtlsTransport → DtlsTransport over UDP loopback", ours));
        if (baseline)
        {
            Console.WriteLine(Row("BouncyCastle DtlsTransport on a socket (baseline)", bc));
        }

        Console.WriteLine(Row("DtlsTransport → DtlsTransport, in-process pipe (DTLS layer alone, one thread)", pipe));
        return 0;
    }

    private static async Task<Throughput> RunPipeThroughputAsync(int records, int size, int mtu, CancellationToken cancellationToken)
    {
        await using var pipe = InMemoryDatagramLink.Inline(mtu);
        var (a, b) = (pipe.A, pipe.B);
        await using var client = new DtlsTransport(a, DtlsRole.Client, Certificates.Value.A, [Certificates.Value.B.Fingerprint]);
        await using var server = new DtlsTransport(b, DtlsRole.Server, Certificates.Value.B, [Certificates.Value.A.Fingerprint]);
        long received = 0;
        long receivedBytes = 0;
        server.SetReceiveHandler(datagram =>
        {
            receivedBytes += datagram.Length;
            received++;
        });
        await Task.WhenAll(server.StartAsync(cancellationToken), client.StartAsync(cancellationToken));
        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        using var unlimited = new SemaphoreSlim(int.MaxValue / 2);
        return Pump(records, unlimited, () => client.Send(payload), () => received, () => receivedBytes, Task.CompletedTask);
    }

    private static async Task<double> PipeHandshakeOnceAsync(int mtu)
    {
        await using var pipe = InMemoryDatagramLink.Inline(mtu);
        var (a, b) = (pipe.A, pipe.B);
        await using var client = new DtlsTransport(a, DtlsRole.Client, Certificates.Value.A, [Certificates.Value.B.Fingerprint]);
        await using var server = new DtlsTransport(b, DtlsRole.Server, Certificates.Value.B, [Certificates.Value.A.Fingerprint]);
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(server.StartAsync(), client.StartAsync()).WaitAsync(TimeSpan.FromSeconds(30));
        return stopwatch.Elapsed.TotalMilliseconds;
    }

    private static async Task<double> HandshakeOnceAsync(int mtu)
    {
        var (udpA, udpB) = UdpLoopbackTransport.CreatePair(mtu);
        try
        {
            var certificateA = Certificates.Value.A;
            var certificateB = Certificates.Value.B;
            await using var client = new DtlsTransport(udpA, DtlsRole.Client, certificateA, [certificateB.Fingerprint]);
            await using var server = new DtlsTransport(udpB, DtlsRole.Server, certificateB, [certificateA.Fingerprint]);
            var stopwatch = Stopwatch.StartNew();
            await Task.WhenAll(server.StartAsync(), client.StartAsync()).WaitAsync(TimeSpan.FromSeconds(30));
            return stopwatch.Elapsed.TotalMilliseconds;
        }
        finally
        {
            udpA.Dispose();
            udpB.Dispose();
        }
    }

    private static readonly Lazy<(RtcCertificate A, RtcCertificate B)> Certificates = new(() => (RtcCertificate.Generate(), RtcCertificate.Generate()));

    private static async Task<Throughput> RunThroughputAsync(int records, int size, int window, int mtu, CancellationToken cancellationToken)
    {
        var (udpA, udpB) = UdpLoopbackTransport.CreatePair(mtu);
        try
        {
            await using var client = new DtlsTransport(udpA, DtlsRole.Client, Certificates.Value.A, [Certificates.Value.B.Fingerprint]);
            await using var server = new DtlsTransport(udpB, DtlsRole.Server, Certificates.Value.B, [Certificates.Value.A.Fingerprint]);
            long received = 0;
            long receivedBytes = 0;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var credits = new SemaphoreSlim(window / Batch);
            server.SetReceiveHandler(datagram =>
            {
                receivedBytes += datagram.Length;
                var count = Interlocked.Increment(ref received);
                if (count % Batch == 0)
                {
                    credits.Release();
                }

                if (count == records)
                {
                    done.TrySetResult();
                }
            });
            await Task.WhenAll(server.StartAsync(cancellationToken), client.StartAsync(cancellationToken));

            var payload = new byte[size];
            Random.Shared.NextBytes(payload);
            return Pump(records, credits, () => client.Send(payload), () => Interlocked.Read(ref received), () => Volatile.Read(ref receivedBytes), done.Task);
        }
        finally
        {
            udpA.Dispose();
            udpB.Dispose();
        }
    }

    private static Throughput RunBaselineThroughput(int records, int size, int window, int mtu)
    {
        using var pair = BcBaseline.Connect(mtu);
        long received = 0;
        long receivedBytes = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var credits = new SemaphoreSlim(window / Batch);
        var stop = false;
        var receiver = new Thread(() =>
        {
            var buffer = new byte[pair.Server.GetReceiveLimit()];
            while (!Volatile.Read(ref stop))
            {
                int length;
                try
                {
                    length = pair.Server.Receive(buffer, 0, buffer.Length, 100);
                }
                catch (Exception) when (Volatile.Read(ref stop))
                {
                    return;
                }

                if (length >= 0)
                {
                    receivedBytes += length;
                    var count = Interlocked.Increment(ref received);
                    if (count % Batch == 0)
                    {
                        credits.Release();
                    }

                    if (count == records)
                    {
                        done.TrySetResult();
                    }
                }
            }
        })
        { IsBackground = true, Name = "BC baseline receive" };
        receiver.Start();
        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        var result = Pump(records, credits, () => pair.Client.Send(payload, 0, payload.Length), () => Interlocked.Read(ref received), () => Volatile.Read(ref receivedBytes), done.Task);
        Volatile.Write(ref stop, true);
        receiver.Join();
        return result;
    }

    // Sends `records` records in batches; each batch needs a credit, which the receiver returns
    // every `Batch` records, so at most `window` records are in flight and a blocked sender sleeps
    // instead of spinning (2 cores: spinning would starve the receiver). A credit missing for a
    // second means records were lost; the sender then carries on.
    private static Throughput Pump(int records, SemaphoreSlim credits, Action send, Func<long> received, Func<long> receivedBytes, Task done)
    {
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var gen0 = GC.CollectionCount(0);
        var stopwatch = Stopwatch.StartNew();
        for (var sent = 0; sent < records; sent += Batch)
        {
            credits.Wait(TimeSpan.FromSeconds(1));
            for (var i = 0; i < Batch && sent + i < records; i++)
            {
                send();
            }
        }

        done.Wait(TimeSpan.FromSeconds(5));
        var elapsed = stopwatch.Elapsed;
        var got = received();
        return new Throughput(
            receivedBytes() / elapsed.TotalSeconds / 1e6,
            got / elapsed.TotalSeconds,
            records - got,
            (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)records,
            GC.CollectionCount(0) - gen0);
    }

    private static List<double> Measure(int count, Action action)
    {
        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            action();
            samples.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        return samples;
    }

    private static string Row(string name, List<double> samples)
    {
        samples.Sort();
        var median = samples[samples.Count / 2];
        var p90 = samples[(int)(samples.Count * 0.9)];
        return string.Create(CultureInfo.InvariantCulture, $"| {name} | {median:0.000} | {p90:0.000} | {samples[0]:0.000} |");
    }

    private static string Row(string name, Throughput t) =>
        string.Create(CultureInfo.InvariantCulture, $"| {name} | {t.MegabytesPerSecond:0} | {t.RecordsPerSecond:0} | {t.Lost} | {t.AllocatedPerRecord:0.0} | {t.Gen0Collections} |");

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private readonly record struct Throughput(double MegabytesPerSecond, double RecordsPerSecond, long Lost, double AllocatedPerRecord, int Gen0Collections);
}
