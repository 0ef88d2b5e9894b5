using P2p.Testing.Chromium;

namespace P2p.Benchmarks.Report;

/// <summary>A Chromium page as a link end: every loop runs inside the page (P2p.Testing.Chromium's rtc-peer.js).</summary>
internal sealed class ChromiumEnd(BrowserPeer peer) : IBenchEnd
{
    private const int Timeout = 300_000;

    public BrowserPeer Peer { get; } = peer;

    public string Kind => "Chromium";

    public Task CreateChannelAsync(int id) => Peer.CreateChannelAsync(Label(id), new { negotiated = true, id, ordered = true });

    public Task WaitOpenAsync(int id) => Peer.WaitOpenAsync(Label(id), 30_000);

    public Task SendBulkAsync(int id, long total, int size) => Peer.SendBulkAsync(Label(id), total, size, Timeout, reuseBuffer: true);

    public Task ArmCountAsync(int id, long total) => Peer.ArmCountAsync(Label(id), total);

    public Task ReceivedAsync() => Peer.ReceivedAsync(Timeout);

    public Task EchoAsync(int id) => Peer.EchoAsync(Label(id));

    public Task<double[]> PingPongAsync(int id, int count, int size, int warmup) => Peer.PingPongAsync(Label(id), count, size, warmup, Timeout);

    public Task CloseChannelAsync(int id) => Peer.CloseChannelAsync(Label(id));

    /// <summary>The label both ends give the negotiated channel <paramref name="id"/>.</summary>
    public static string Label(int id) => $"bench{id}";
}
