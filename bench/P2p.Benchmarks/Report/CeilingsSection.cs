using System.Globalization;
using P2p.Benchmarks.Common;

namespace P2p.Benchmarks.Report;

/// <summary>
/// What this machine allows, measured in the same run as the other figures so they can be read as a
/// fraction of it: raw UDP on 127.0.0.1 (<see cref="UdpCeiling"/>: one flow, one core sending and one
/// receiving) and the DTLS record path alone (<see cref="DtlsRecordCeiling"/>: one core). Runs first, so
/// that the throughput section can divide by the raw-UDP figure (<see cref="Context.RawUdpCeiling"/>).
/// </summary>
internal static class CeilingsSection
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task RunAsync(Settings s, Context c, CancellationToken ct)
    {
        var window = TimeSpan.FromSeconds(s.CeilingSeconds);
        var warmup = TimeSpan.FromSeconds(Math.Min(0.5, s.CeilingSeconds / 2));
        var runs = Math.Max(1, s.CeilingRuns);

        var udp = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            var r = await UdpCeiling.MeasureAsync(warmup, window, ct);
            Console.Error.WriteLine($"    raw UDP: {r.ReceivedMBps:F1} MB/s received, {r.SentMBps:F1} MB/s sent (≈ {Math.Max(0, 1 - (r.ReceivedMBps / r.SentMBps)):P1} dropped at the receiver; the window edges skew it slightly)");
            udp.Add(r.ReceivedMBps);
        }

        c.RawUdpCeiling = Stats.Median(udp);
        c.Table.Add("ceiling", $"raw UDP, {UdpCeiling.DatagramSize.ToString("N0", Inv)}-byte datagrams, 127.0.0.1 (MB/s)", udp, null, "F1");

        var dtls = new List<DtlsCeilingRun>();
        for (var run = 0; run < runs; run++)
        {
            var r = await Task.Run(() => DtlsRecordCeiling.Measure(warmup, window), ct);
            Console.Error.WriteLine($"    DTLS record path: {r.BothMBps:F1} MB/s protect + unprotect; protect {r.ProtectMBps:F1} MB/s ({r.ProtectMicroseconds:F2} µs/record), unprotect {r.UnprotectMBps:F1} MB/s ({r.UnprotectMicroseconds:F2} µs/record)");
            dtls.Add(r);
        }

        var size = DtlsRecordCeiling.RecordSize.ToString("N0", Inv);
        c.Table.Add("ceiling", $"DTLS record path, {size}-byte records, protect + unprotect on one core (MB/s)", [.. dtls.Select(r => r.BothMBps)], null, "F1");
        c.Table.Add("ceiling", $"DTLS protect alone, {size}-byte records, one core (MB/s)", [.. dtls.Select(r => r.ProtectMBps)], null, "F1");
        c.Table.Add("ceiling", $"DTLS unprotect alone, {size}-byte records, one core (MB/s)", [.. dtls.Select(r => r.UnprotectMBps)], null, "F1");
        c.Table.Add("ceiling", $"DTLS protect, {size}-byte record (µs per record)", [.. dtls.Select(r => r.ProtectMicroseconds)], null, "F2");
        c.Table.Add("ceiling", $"DTLS unprotect, {size}-byte record (µs per record)", [.. dtls.Select(r => r.UnprotectMicroseconds)], null, "F2");
    }
}
