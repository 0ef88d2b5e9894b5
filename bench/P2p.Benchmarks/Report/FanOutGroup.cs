using System.Diagnostics;
using P2p.Benchmarks.Mesh;
using P2p.Core;
using P2p.Signaling.WebSockets;

namespace P2p.Benchmarks.Report;

/// <summary>
/// N .NET members of one group over the WebRTC transport on 127.0.0.1 (each its own service and
/// signaling connection to the embedded server, all in this process), every member counting the
/// broadcast bytes it receives.
/// </summary>
internal sealed class FanOutGroup : IAsyncDisposable
{
    private readonly List<IGroup> _members;
    private readonly ByteCounter[] _counters;

    private FanOutGroup(List<IGroup> members, ByteCounter[] counters)
    {
        _members = members;
        _counters = counters;
    }

    public int Count => _members.Count;

    /// <summary>Member 0 creates the group, the others join at once; returns when every link is connected.</summary>
    public static async Task<FanOutGroup> FormAsync(Context c, int count, CancellationToken ct)
    {
        var counters = Enumerable.Range(0, count).Select(_ => new ByteCounter()).ToArray();
        var members = new List<IGroup>();
        try
        {
            members.Add(await Group.CreateAsync(await WebSocketSignalingChannel.ConnectAsync(c.Signaling.Uri, cancellationToken: ct),
                MeshWebRtcScenario.Transport(c.Certificate), GroupCapability.All, Options(counters[0]), cancellationToken: ct));
            var owner = members[0].Id;
            members.AddRange(await Task.WhenAll(counters.Skip(1).Select(async counter => await Group.JoinAsync(
                await WebSocketSignalingChannel.ConnectAsync(c.Signaling.Uri, cancellationToken: ct),
                MeshWebRtcScenario.Transport(c.Certificate), owner, Options(counter), cancellationToken: ct))));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            await Task.WhenAll(members.Select(m => m.WhenAllConnectedAsync(timeout.Token)));
            return new FanOutGroup(members, counters);
        }
        catch
        {
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
            throw;
        }
    }

    /// <summary>
    /// Members 0 … <paramref name="senders"/> − 1 each broadcast <paramref name="perSender"/> bytes in
    /// <paramref name="message"/>-sized messages (<see cref="IGroup.BroadcastAsync"/>, awaited one after the
    /// other), all at once. Returns the seconds from the first send to the last byte received at every
    /// member, and the bytes all members received together.
    /// </summary>
    public async Task<(double Seconds, long Bytes)> BroadcastAsync(int senders, long perSender, byte[] message, CancellationToken ct)
    {
        long expectedTotal = 0;
        for (var i = 0; i < _members.Count; i++)
        {
            var expected = (i < senders ? senders - 1 : senders) * perSender;
            _counters[i].Arm(expected);
            expectedTotal += expected;
        }

        var clock = Stopwatch.StartNew();
        var sends = _members.Take(senders).Select(m => Task.Run(() => SendAllAsync(m, perSender, message, ct), ct)).ToArray();
        await Task.WhenAll(_counters.Select(c => c.Done)).WaitAsync(TimeSpan.FromMinutes(5), ct);
        var seconds = clock.Elapsed.TotalSeconds;
        await Task.WhenAll(sends);
        return (seconds, _counters.Sum(c => c.Bytes));
    }

    public async ValueTask DisposeAsync() => await Task.WhenAll(_members.Select(m => m.DisposeAsync().AsTask()));

    private static GroupOptions Options(ByteCounter counter) => new() { MessageHandler = counter.OnMessageAsync };

    private static async Task SendAllAsync(IGroup member, long total, byte[] message, CancellationToken ct)
    {
        for (long sent = 0; sent < total; sent += message.Length)
        {
            var result = await member.BroadcastAsync(message, ct);
            if (!result.AllDelivered)
            {
                throw new InvalidOperationException($"a broadcast of {member.LocalMember.Id} failed to reach {result.Failed.Count} member(s): {result.Failed[0].Error}");
            }
        }
    }
}
