using System.Diagnostics.Metrics;
using P2p.Core.Mesh;
using P2p.Core.Transport;

namespace P2p.Core.Diagnostics;

/// <summary>
/// What the transports measure about the connections (<see cref="IPeerConnection.GetStatistics"/>), on P2p.Core's meter:
/// <c>p2p.link.rtt</c>, each connected link's smoothed round-trip time sampled every <see cref="SampleInterval"/> while
/// someone listens, and <c>p2p.link.retransmissions</c>, the retransmissions of every connection of the process, those
/// that ended included. Like the other instruments, neither carries a member or group id.
/// </summary>
internal static class LinkStatisticsMetrics
{
    /// <summary>How often each connected link's round-trip time is recorded.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(5);

    private static readonly double[] RttBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private static readonly Histogram<double> Rtt = CoreMetrics.Meter.CreateHistogram(
        "p2p.link.rtt", "s", "Smoothed round-trip time of each connected direct link, as its transport measures it (SCTP for WebRTC), sampled every 5 s.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RttBuckets });

    private static readonly Lock Gate = new();
    private static long _ended;
    private static long _reported;
    private static ITimer? _sampler;

    static LinkStatisticsMetrics()
    {
        CoreMetrics.Meter.CreateObservableCounter(
            "p2p.link.retransmissions", ObserveRetransmissions, "{packet}",
            "Data the transports sent again on this process's connections, because it was lost or not acknowledged in time (SCTP DATA chunks for WebRTC).");
    }

    /// <summary>Creates the instruments and starts sampling (once per process; called when the first group starts).</summary>
    public static void EnsureStarted()
    {
        lock (Gate)
        {
            if (_sampler is not null)
            {
                return;
            }

            using (ExecutionContext.SuppressFlow())
            {
                _sampler = TimeProvider.System.CreateTimer(static _ => Sample(), null, SampleInterval, SampleInterval);
            }
        }
    }

    /// <summary>Records every connected link's round-trip time now (the sampler's work; tests call it directly).</summary>
    public static void Sample()
    {
        if (!Rtt.Enabled)
        {
            return;
        }

        foreach (var statistics in Collect())
        {
            if (statistics.RoundTripTime is { } rtt)
            {
                Rtt.Record(rtt.TotalSeconds);
            }
        }
    }

    /// <summary>A connection is about to be disposed: what it retransmitted stays in the total.</summary>
    public static void ConnectionEnded(IPeerConnection connection)
    {
        if (Read(connection) is { } statistics)
        {
            Interlocked.Add(ref _ended, statistics.Retransmissions);
        }
    }

    /// <summary>Asks a connection for its statistics; a transport that throws is taken as having none.</summary>
    public static PeerConnectionStatistics? Read(IPeerConnection connection)
    {
        try
        {
            return connection.GetStatistics();
        }
        catch (Exception)
        {
            return null; // the contract says it never throws; a broken transport must not break the metrics
        }
    }

    private static List<PeerConnectionStatistics> Collect()
    {
        var all = new List<PeerConnectionStatistics>();
        foreach (var group in CoreMetrics.TrackedGroups)
        {
            group.CollectLinkStatistics(all);
        }

        return all;
    }

    private static long ObserveRetransmissions()
    {
        var total = Interlocked.Read(ref _ended);
        foreach (var statistics in Collect())
        {
            total += statistics.Retransmissions;
        }

        lock (Gate)
        {
            // A connection between "ended" and "counted as ended" is in neither sum for a moment: never report less.
            _reported = Math.Max(_reported, total);
            return _reported;
        }
    }
}
