using System.Diagnostics;
using System.Globalization;
using System.Net;
using P2p.WebRtc.Ice;

namespace P2p.Benchmarks.Ice;

/// <summary>
/// Raw datagram throughput of the ICE transport on loopback (no DTLS): one sender thread, 1200-byte
/// datagrams: `dotnet run -c Release --project bench/P2p.Benchmarks -- ice-throughput [megabytes]`.
/// </summary>
public sealed class IceThroughputScenario : IScenario
{
    public string Name => "ice-throughput";

    public string Description => "IDatagramTransport throughput over ICE on loopback, 1200-byte datagrams (default 1024 MB)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var megabytes = args.Length > 0 && int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m > 0 ? m : 1024;
        const int size = 1200;
        var count = (long)megabytes * 1024 * 1024 / size;
        static IceAgentOptions Options(IceRole role) => new() { Role = role, AddressFilter = ip => ip.Equals(IPAddress.Loopback) };
        await using var a = new IceAgent(Options(IceRole.Controlling));
        await using var b = new IceAgent(Options(IceRole.Controlled));
        a.LocalCandidateGathered += (_, c) => b.AddRemoteCandidate(c);
        b.LocalCandidateGathered += (_, c) => a.AddRemoteCandidate(c);
        a.SetRemoteCredentials(b.LocalUfrag, b.LocalPassword);
        b.SetRemoteCredentials(a.LocalUfrag, a.LocalPassword);
        long received = 0;
        b.Transport.SetReceiveHandler(d => received += d.Length);
        a.StartGathering();
        b.StartGathering();
        await Task.WhenAll(a.ConnectAsync(cancellationToken), b.ConnectAsync(cancellationToken)).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);

        var payload = new byte[size];
        payload[0] = 23;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < count && !cancellationToken.IsCancellationRequested; i++)
        {
            a.Transport.Send(payload);
        }

        var sendSeconds = sw.Elapsed.TotalSeconds;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        await Task.Delay(200, cancellationToken); // let the receiver drain its socket buffer
        var total = Interlocked.Read(ref received);
        Console.WriteLine($"## ice-throughput: {megabytes} MB in {size}-byte datagrams over ICE on 127.0.0.1");
        Console.WriteLine();
        Console.WriteLine("| sent MB/s | received MB/s | loss | bytes allocated by the send loop |");
        Console.WriteLine("|---|---|---|---|");
        var sentBytes = count * size;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {sentBytes / sendSeconds / 1e6:0} | {total / sendSeconds / 1e6:0} | {100.0 * (sentBytes - total) / sentBytes:0.0} % | {allocated} |"));
        return 0;
    }
}
