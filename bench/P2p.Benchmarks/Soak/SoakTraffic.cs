using P2p.Core;

namespace P2p.Benchmarks.Soak;

/// <summary>A member's traffic: a sequenced 64-byte broadcast every 50 ms, a request to a random other member every 500 ms.</summary>
internal static class SoakTraffic
{
    public static Task Start(SoakMember member, SoakRoster roster, int seed) => RunAsync(member, member.Group!, roster, seed, member.TrafficStop.Token);

    private static async Task RunAsync(SoakMember member, IGroup group, SoakRoster roster, int seed, CancellationToken stop)
    {
        var random = new Random(seed);
        var tick = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(50, stop);
                await member.BroadcastAsync(group, stop);
                if (++tick % 10 == 0)
                {
                    // To a member of the group as this member knows it (a newcomer it has not heard of yet would be refused).
                    var others = roster.Present.Where(m => m != member && group.GetMember(m.Id) is not null).ToArray();
                    if (others.Length > 0)
                    {
                        _ = member.UnicastAsync(group, others[random.Next(others.Length)], stop);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (GroupException) when (stop.IsCancellationRequested || group.IsClosed)
            {
                return;
            }
        }
    }
}
