using System.Globalization;
using P2p.Benchmarks.Common;
using P2p.Core;

namespace P2p.Benchmarks.Soak;

/// <summary>Prints the soak's tables: traffic and faults, then resources.</summary>
internal static class SoakReport
{
    /// <summary>Members present at the end that some present member still lists although they departed (must be 0).</summary>
    public static int StaleMembers(IReadOnlyList<SoakMember> all)
    {
        var departed = all.Where(m => !m.IsPresent).Select(m => m.Id).ToHashSet();
        return all.Where(m => m.IsPresent && m.Group is not null).Sum(m => m.Group!.Members.Count(p => departed.Contains(p.Id)));
    }

    /// <summary>Pairs of present members that are not <see cref="PeerState.Connected"/> to each other.</summary>
    public static int Unconnected(IReadOnlyList<SoakMember> all)
    {
        var present = all.Where(m => m.IsPresent && m.Group is not null).ToList();
        return present.Sum(m => present.Count(o => o != m && m.Group!.GetMember(o.Id)?.State != PeerState.Connected));
    }

    /// <summary>The pairs of present members not connected, by state, with the first error of each state.</summary>
    public static string UnconnectedDetail(IReadOnlyList<SoakMember> all)
    {
        var present = all.Where(m => m.IsPresent && m.Group is not null).ToList();
        var pairs = present.SelectMany(m => present.Where(o => o != m).Select(o => (Of: m, Peer: m.Group!.GetMember(o.Id), o.Id)))
            .Where(p => p.Peer?.State != PeerState.Connected)
            .ToList();
        return string.Join("; ", pairs.GroupBy(p => p.Peer?.State.ToString() ?? "unknown to it").Select(g =>
            $"{g.Key} {g.Count()} (e.g. {g.First().Of.Slot}→{g.First().Id[..8]}: {g.First().Peer?.LastError?.Message ?? "no error"})"));
    }

    public static void Print(SoakOptions options, SoakRoster roster, SoakChurn churn, ResourceSampler sampler, LeakCheck leaks, int initialMembers)
    {
        var all = roster.All;
        var loss = SoakLoss.Of(all);
        var crashed = all.Where(m => m.Departure == Departure.Crashed).ToList();
        var left = all.Where(m => m.Departure == Departure.Left).ToList();
        var cutNoticed = new List<double>();
        var cutRecovered = new List<double>();
        foreach (var (at, length, victim) in churn.Cuts)
        {
            foreach (var observer in all.Where(m => m.Id != victim))
            {
                // Only what happened before the next fault counts for this one (a cut too short to notice has no interruption).
                var seen = observer.States.Where(s => s.Peer == victim && s.At >= at && s.At < at + length + 10);
                if (seen.FirstOrDefault(s => s.State == PeerState.Interrupted) is { Peer: not null } interrupted)
                {
                    cutNoticed.Add(interrupted.At - at);
                    if (seen.FirstOrDefault(s => s.State == PeerState.Connected && s.At >= interrupted.At) is { Peer: not null } back)
                    {
                        cutRecovered.Add(back.At - (at + length));
                    }
                }
            }
        }

        var crashNoticed = new List<double>();
        var crashRemoved = new List<double>();
        foreach (var victim in crashed)
        {
            var at = victim.DepartedAt!.Value;
            foreach (var observer in all.Where(m => m != victim && m.JoinedAt <= at && (m.DepartedAt ?? double.MaxValue) > at))
            {
                if (observer.States.FirstOrDefault(s => s.Peer == victim.Id && s.At >= at && s.State is PeerState.Interrupted or PeerState.Failed) is { Peer: not null } noticed)
                {
                    crashNoticed.Add(noticed.At - at);
                }

                if (observer.Left.FirstOrDefault(l => l.Peer == victim.Id) is { Peer: not null } removed)
                {
                    crashRemoved.Add(removed.At - at);
                }
            }
        }

        var leaveRemoved = new List<double>();
        foreach (var victim in left)
        {
            var at = victim.DepartedAt!.Value;
            foreach (var observer in all.Where(m => m != victim && m.JoinedAt <= at && (m.DepartedAt ?? double.MaxValue) > at))
            {
                if (observer.Left.FirstOrDefault(l => l.Peer == victim.Id) is { Peer: not null } removed)
                {
                    leaveRemoved.Add(removed.At - at);
                }
            }
        }

        static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
        static string Times(List<double> t) => t.Count == 0 ? "–" : $"{F(Stats.Median(t))} / {F(t.Max())}";
        Console.WriteLine($"Soak: {options.Members} members ({options.LossyDescription}), {options.Duration.TotalMinutes:0.#} min, {churn.Cuts.Count} path cuts of 1–6 s, {left.Count} leaves, {crashed.Count} crashes, {churn.Joins} joins, {churn.Restarts} signaling server restarts");
        Console.WriteLine();
        Console.WriteLine("| measurement | value |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| broadcast copies accepted / received | {loss.Accepted} / {loss.Received} |");
        Console.WriteLine($"| **lost** (accepted, never received, receiver could have got it) | **{loss.Lost}** |");
        Console.WriteLine($"| unreceived because a member left or crashed (in flight at its departure) | {loss.InFlightAtDeparture} |");
        Console.WriteLine($"| of which sent by a member just before it left gracefully | {loss.UnsentByLeavers} |");
        Console.WriteLine($"| duplicates | {all.Sum(m => m.Duplicates)} |");
        Console.WriteLine($"| refused at once (member not connected) | {all.Sum(m => m.Refused)} |");
        Console.WriteLine($"| requests answered / failed / failed as a member departed | {all.Sum(m => m.UnicastsAnswered)} / {all.Sum(m => m.UnicastsFailed)} / {all.Sum(m => m.UnicastsFailedDeparted)} |");
        var codes = all.SelectMany(m => m.FailureCodes).GroupBy(c => c.Key).Select(g => $"{g.Key} {g.Sum(c => c.Value)}").ToList();
        if (codes.Count > 0)
        {
            Console.WriteLine($"| requests failed (both ends stayed), by error | {string.Join(", ", codes)} |");
        }

        Console.WriteLine($"| memberships: initial / joins / leaves / crashes / join retries | {initialMembers} / {churn.Joins} / {left.Count} / {crashed.Count} / {roster.JoinRetries} |");
        Console.WriteLine($"| cut → Interrupted (s), median / worst of {cutNoticed.Count} | {Times(cutNoticed)} |");
        Console.WriteLine($"| restore → Connected (s), median / worst of {cutRecovered.Count} | {Times(cutRecovered)} |");
        Console.WriteLine($"| crash → Interrupted (s), median / worst of {crashNoticed.Count} | {Times(crashNoticed)} |");
        Console.WriteLine($"| crash → removed (MemberLeft) (s), median / worst of {crashRemoved.Count} | {Times(crashRemoved)} |");
        Console.WriteLine($"| leave → removed (MemberLeft) (s), median / worst of {leaveRemoved.Count} | {Times(leaveRemoved)} |");
        var departedAt = all.Where(m => m.Id.Length > 0).ToDictionary(m => m.Id, m => m.DepartedAt ?? double.MaxValue);
        var failedWhilePresent = all.Sum(m => m.States.Count(s => s.State == PeerState.Failed && s.At < departedAt.GetValueOrDefault(s.Peer, double.MaxValue)));
        Console.WriteLine($"| links reported Failed while both members were in the group | {failedWhilePresent} |");
        Console.WriteLine($"| departed members still listed at the end / present pairs not connected | {StaleMembers(all)} / {Unconnected(all)} |");
        if (Unconnected(all) > 0)
        {
            Console.WriteLine($"| not connected at the end, by state | {UnconnectedDetail(all)} |");
        }

        Console.WriteLine($"| signaling resumed / closed for good (present members) | {all.Sum(m => m.Resumed)} / {all.Count(m => m.IsPresent && m.Signaling?.IsClosed == true)} |");
        var alive = leaks.Alive();
        Console.WriteLine($"| still alive after a full GC: departed members' groups / signaling channels / peer connections, stopped servers | {alive} |");
        var events = all.Sum(m => m.Bookkeeping().Events);
        var ranges = all.Sum(m => m.Bookkeeping().Ranges);

        // Rough sizes: an event tuple in a queue segment ~32 B, a range 16 B (+ list slack), a membership's own objects ~2 KiB.
        var kib = ((events * 32) + (ranges * 24) + (all.Count * 2048)) / 1024.0;
        Console.WriteLine($"| the soak's own bookkeeping at the end: memberships / events / sequence ranges (≈ KiB) | {all.Count} / {events} / {ranges} (≈ {kib:F0}) |");
        Console.WriteLine();
        PrintResources(options, sampler);
    }

    private static void PrintResources(SoakOptions options, ResourceSampler sampler)
    {
        var samples = sampler.Samples;
        var fitted = sampler.Fitted();
        var first = samples[0];
        var warm = fitted[0];
        var last = samples[^1];
        Console.WriteLine($"Resources: {samples.Count} samples every {options.SampleEvery.TotalSeconds:0} s under traffic, each after a full GC; growth per hour = slope of the least-squares line through the {fitted.Count} taken from {warm.At / 60:0.#} min on with all {options.Members} members in the group");
        Console.WriteLine();
        Console.WriteLine("| resource | start | after warm-up | end | growth per hour (fit) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        static string Mib(double bytes) => (bytes / 1048576).ToString("F1", CultureInfo.InvariantCulture);
        void Row(string name, Func<ResourceSample, double> value, Func<double, string> format)
        {
            var slope = ResourceSampler.PerHour(fitted, value);
            Console.WriteLine($"| {name} | {format(value(first))} | {format(value(warm))} | {format(value(last))} | {(slope >= 0 ? "+" : "")}{format(slope)} |");
        }

        static string N(double v) => v.ToString("F0", CultureInfo.InvariantCulture);
        Row("managed heap (MiB)", s => s.ManagedHeap, Mib);
        Row("working set (MiB)", s => s.WorkingSet, Mib);
        Row("private bytes (MiB)", s => s.PrivateBytes, Mib);
        Row("open handles (/proc/self/fd)", s => s.Handles, N);
        Row("threads", s => s.Threads, N);
        Row("active timers", s => s.Timers, N);
        Console.WriteLine();
        Console.WriteLine("| min | members | heap MiB | working set MiB | private MiB | handles | threads | timers |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        var step = Math.Max(1, (samples.Count + 19) / 20);
        for (var i = 0; i < samples.Count; i++)
        {
            if (i % step != 0 && i != samples.Count - 1)
            {
                continue;
            }

            var s = samples[i];
            Console.WriteLine($"| {(s.At / 60).ToString("F1", CultureInfo.InvariantCulture)} | {s.Members} | {Mib(s.ManagedHeap)} | {Mib(s.WorkingSet)} | {Mib(s.PrivateBytes)} | {s.Handles} | {s.Threads} | {s.Timers} |");
        }
    }
}
