using System.Diagnostics;
using P2p.Benchmarks.Mesh;
using P2p.Core;
using P2p.Signaling.WebSockets;

namespace P2p.Benchmarks.Report;

/// <summary>Two .NET members of one group over the WebRTC transport, through the embedded signaling server.</summary>
internal sealed class GroupPair : IAsyncDisposable
{
    private GroupPair(IGroup a, IGroup b)
    {
        A = a;
        B = b;
    }

    /// <summary>The owner.</summary>
    public IGroup A { get; }

    /// <summary>The member that joined.</summary>
    public IGroup B { get; }

    /// <summary>A owns the group, B joins; with <paramref name="inlineHandler"/> B runs its request handler inline (GroupOptions.RunRequestHandlerInline).</summary>
    public static async Task<GroupPair> ConnectAsync(Context c, CancellationToken ct, bool inlineHandler = false)
    {
        var a = await Group.CreateAsync(await WebSocketSignalingChannel.ConnectAsync(c.Signaling.Uri, cancellationToken: ct), MeshWebRtcScenario.Transport(c.Certificate), GroupCapability.All, cancellationToken: ct);
        try
        {
            var b = await Group.JoinAsync(await WebSocketSignalingChannel.ConnectAsync(c.Signaling.Uri, cancellationToken: ct), MeshWebRtcScenario.Transport(c.Certificate), a.Id, new GroupOptions { RunRequestHandlerInline = inlineHandler }, cancellationToken: ct);
            await Task.WhenAll(a.WhenAllConnectedAsync(ct), b.WhenAllConnectedAsync(ct)).WaitAsync(TimeSpan.FromSeconds(30), ct);
            return new GroupPair(a, b);
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// <paramref name="warmup"/> + <paramref name="count"/> 32-byte requests from A to B, one at a time,
    /// awaited as an application would (B's handler echoes); round-trip times in microseconds, warm-up excluded.
    /// </summary>
    public async Task<double[]> RoundTripsAsync(int count, int warmup, CancellationToken ct)
    {
        B.RequestHandler = (_, data, _) => ValueTask.FromResult(data);
        var target = B.LocalMember.Id;
        var message = new byte[32];
        var rtts = new double[count];
        for (var i = 0; i < count + warmup; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await A.UnicastAsync(target, message, ct);
            if (i >= warmup)
            {
                rtts[i - warmup] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        return rtts;
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
