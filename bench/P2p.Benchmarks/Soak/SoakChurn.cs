using P2p.WebRtc.Testing.Network;

namespace P2p.Benchmarks.Soak;

/// <summary>
/// The faults and the churn: every <see cref="SoakOptions.FaultEvery"/> one event, in a repeating cycle of six — path
/// cut, graceful leave, path cut, crash, path cut, signaling server restart. A cut takes a random member's path away
/// for 1–6 s; a member that leaves comes back 3–15 s later as a new member on the same host; a crashed member's host is
/// gone for good, and a new member joins in its place 3–15 s later on a new host (same link conditions); a restart
/// stops the signaling server for 2 s and starts it again on the same port with the same resume key (a path cut instead
/// with <see cref="SoakOptions.ServerRestarts"/> off). Members leave or
/// crash only while at most one place of the group is empty.
/// </summary>
internal sealed class SoakChurn(SoakOptions options, SoakRoster roster, Func<Task> restartServer, Func<double> now)
{
    private readonly Random _random = new(options.Seed);
    private readonly List<Task> _joins = [];

    /// <summary>Path cuts: when, how long (s), whose.</summary>
    public List<(double At, double Length, string Member)> Cuts { get; } = [];

    public int Restarts { get; private set; }

    /// <summary>Members that joined after the group was formed.</summary>
    public int Joins;

    /// <summary>Runs events until <paramref name="until"/> returns true (checked before each event).</summary>
    public async Task RunAsync(Func<bool> until, CancellationToken stop)
    {
        for (var i = 0; ; i++)
        {
            await Task.Delay(options.FaultEvery, stop);
            if (until())
            {
                break;
            }

            var kind = (i % 6) switch
            {
                1 => EventKind.Leave,
                3 => EventKind.Crash,
                5 when options.ServerRestarts => EventKind.Restart,
                _ => EventKind.Cut,
            };
            var present = roster.Present;
            if (kind is EventKind.Leave or EventKind.Crash && present.Count < options.Members)
            {
                kind = EventKind.Cut; // a place is empty already: keep the group from shrinking further
            }

            var victim = present[_random.Next(present.Count)];
            switch (kind)
            {
                case EventKind.Cut:
                    var length = TimeSpan.FromSeconds(1 + (_random.NextDouble() * 5));
                    Cuts.Add((now(), length.TotalSeconds, victim.Id));
                    victim.Host.Link.Cut();
                    await Task.Delay(length, stop);
                    victim.Host.Link.Restore();
                    break;
                case EventKind.Leave:
                    await roster.LeaveAsync(victim);
                    Rejoin(victim.Slot, victim.Host, stop);
                    break;
                case EventKind.Crash:
                    await roster.CrashAsync(victim);
                    Rejoin(victim.Slot, null, stop);
                    break;
                case EventKind.Restart:
                    await restartServer();
                    Restarts++;
                    break;
            }
        }
    }

    /// <summary>Waits for the joins still under way (they stop when <c>stop</c> is cancelled).</summary>
    public Task WhenJoinedAsync() => Task.WhenAll(_joins);

    private void Rejoin(int slot, VirtualHost? host, CancellationToken stop)
    {
        var delay = TimeSpan.FromSeconds(3 + (_random.NextDouble() * 12));
        var seed = _random.Next();
        _joins.Add(JoinLaterAsync(slot, host, delay, seed, stop));
    }

    private async Task JoinLaterAsync(int slot, VirtualHost? host, TimeSpan delay, int seed, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop);
            var member = await roster.JoinAsync(slot, host ?? roster.NewHost(slot), stop);
            Interlocked.Increment(ref Joins);
            member.Traffic = SoakTraffic.Start(member, roster, seed);
        }
        catch (OperationCanceledException)
        {
            // The soak ended first.
        }
    }

    private enum EventKind
    {
        Cut,
        Leave,
        Crash,
        Restart,
    }
}
