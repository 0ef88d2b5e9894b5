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

    public static async Task<GroupPair> ConnectAsync(Context c, CancellationToken ct)
    {
        var a = await Group.CreateAsync(await WebSocketSignalingChannel.ConnectAsync(c.Signaling.Uri, cancellationToken: ct), MeshWebRtcScenario.Transport(c.Certificate), GroupCapability.All, cancellationToken: ct);
        try
        {
            var b = await Group.JoinAsync(await WebSocketSignalingChannel.ConnectAsync(c.Signaling.Uri, cancellationToken: ct), MeshWebRtcScenario.Transport(c.Certificate), a.Id, cancellationToken: ct);
            await Task.WhenAll(a.WhenAllConnectedAsync(ct), b.WhenAllConnectedAsync(ct)).WaitAsync(TimeSpan.FromSeconds(30), ct);
            return new GroupPair(a, b);
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
