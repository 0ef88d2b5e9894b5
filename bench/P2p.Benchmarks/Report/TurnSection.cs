using System.Text.Json;
using P2p.Benchmarks.Common;
using P2p.Testing.NatLab;
using P2p.WebRtc;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Ice;

namespace P2p.Benchmarks.Report;

/// <summary>
/// Through a TURN server (coturn on 127.0.0.1, started here): connection set-up per candidate type (host, relayed over
/// UDP, TCP and TLS), and bulk throughput and 32 B round trips relay to relay, .NET ↔ .NET beside Chromium ↔ Chromium
/// (both ends relay-only, so every packet crosses coturn twice).
/// </summary>
internal static class TurnSection
{
    private const int Warmup = 200;

    public static async Task RunAsync(Settings s, Context c, CancellationToken ct)
    {
        await using var coturn = await CoturnProcess.StartAsync(CoturnOptions.Loopback(streams: true), cancellationToken: ct);
        Console.Error.WriteLine($"    coturn on {coturn.EndPoint} (TLS {coturn.TlsEndPoint})");

        // Set-up per candidate type: the relay-only policy forces relayed candidates; host is the plain loopback link.
        var host = await SetupSection.RepeatAsync(s.Setups, () => BenchLink.DotNetAsync());
        List<double>? chromiumRelay = null;
        if (c.Browser is { } browser)
        {
            var n = 0;
            chromiumRelay = await SetupSection.RepeatAsync(s.Setups, () => BenchLink.ChromiumAsync(browser, $"turn-setup-{n++}", ChromiumRelayOnly(coturn)));
        }

        c.Table.Add("turn", ".NET ↔ .NET set-up, host candidates, offer → channel open (ms)", host, null, "F1");
        foreach (var (name, url) in new[] { ("UDP", coturn.TurnUdpUrl), ("TCP", coturn.TurnTcpUrl), ("TLS", coturn.TurnsUrl) })
        {
            var relay = await SetupSection.RepeatAsync(s.Setups, () => BenchLink.DotNetAsync(RelayOnly(coturn, url)));
            c.Table.Add("turn", $".NET ↔ .NET set-up, relayed over {name} on both ends (ms)", relay, name == "UDP" ? chromiumRelay : null, "F1");
        }

        // Throughput and latency through the relay (UDP), .NET and Chromium measured alternately.
        var total = (long)s.Mib << 20;
        await using var ours = await BenchLink.DotNetAsync(RelayOnly(coturn, coturn.TurnUdpUrl));
        await using var theirs = c.Browser is { } b ? await BenchLink.ChromiumAsync(b, "turn-tput", ChromiumRelayOnly(coturn)) : null;
        var oursRates = new List<double>();
        var theirRates = new List<double>();
        for (var run = 0; run <= s.Runs; run++)
        {
            var rate = await ThroughputSection.TransferAsync(ours, ours.Offerer, ours.Answerer, total, 64 << 10);
            Console.Error.WriteLine($"    .NET → .NET via TURN, 64 KiB: {rate:F1} MB/s{(run == 0 ? " (warm-up)" : "")}");
            if (run > 0)
            {
                oursRates.Add(rate);
            }

            if (theirs is not null)
            {
                rate = await ThroughputSection.TransferAsync(theirs, theirs.Offerer, theirs.Answerer, total, 64 << 10);
                Console.Error.WriteLine($"    Chromium → Chromium via TURN, 64 KiB: {rate:F1} MB/s{(run == 0 ? " (warm-up)" : "")}");
                if (run > 0)
                {
                    theirRates.Add(rate);
                }
            }
        }

        c.Table.Add("turn", $".NET → .NET through coturn (UDP, relay to relay), 64 KiB messages, {s.Mib} MiB (MB/s)", oursRates, theirs is null ? null : theirRates, "F1",
            "≥ 1× Chromium", theirs is null ? null : (m, r) => m >= r!.Value);

        var rtt = await PingAsync(ours, s.Pings);
        var theirRtt = theirs is null ? null : await PingAsync(theirs, s.Pings);
        c.Table.Add("turn", "32 B round trip p50 through coturn (µs)", [Stats.Median(rtt)], theirRtt is null ? null : [Stats.Median(theirRtt)], "F0",
            "< Chromium", theirRtt is null ? null : (m, r) => m < r!.Value);
        c.Table.Add("turn", "32 B round trip p99 through coturn (µs)", [Stats.Percentile(rtt, 99)], theirRtt is null ? null : [Stats.Percentile(theirRtt, 99)], "F0");
    }

    private static RtcConfiguration RelayOnly(CoturnProcess coturn, string url) => BenchLink.Loopback() with
    {
        IceServers = [coturn.IceServer(url)],
        IceTransportPolicy = IceTransportPolicy.Relay,
        Ice = new IceAgentOptions { TurnCertificateValidation = coturn.CertificateValidation },
        LoggerFactory = Environment.GetEnvironmentVariable("P2P_BENCH_LOG") == "1"
            ? Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddConsole().SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Debug))
            : null,
    };

    private static string ChromiumRelayOnly(CoturnProcess coturn) => JsonSerializer.Serialize(new
    {
        iceServers = new[] { new { urls = new[] { coturn.TurnUdpUrl }, username = coturn.Options.Username, credential = coturn.Options.Password } },
        iceTransportPolicy = "relay",
    });

    private static async Task<double[]> PingAsync(BenchLink link, int pings)
    {
        var id = await link.NewChannelAsync();
        await link.Answerer.EchoAsync(id);
        var rtts = await link.Offerer.PingPongAsync(id, pings, 32, Warmup);
        await link.CloseChannelAsync(id);
        Console.Error.WriteLine($"    {link.Name} via TURN: p50 {Stats.Median(rtts):F0} µs, p99 {Stats.Percentile(rtts, 99):F0} µs");
        return rtts;
    }
}
