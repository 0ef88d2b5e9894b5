using P2p.Benchmarks.Chromium;

namespace P2p.Benchmarks.Report;

/// <summary>A Chromium page as a link end: every loop runs inside the page (bench-page.js).</summary>
internal sealed class ChromiumEnd(BenchPeer peer) : IBenchEnd
{
    public BenchPeer Peer { get; } = peer;

    public string Kind => "Chromium";

    public Task CreateChannelAsync(int id) => Peer.ChannelAsync(id);

    public Task WaitOpenAsync(int id) => Peer.WaitOpenAsync(id);

    public Task SendBulkAsync(int id, long total, int size) => Peer.SendBulkAsync(id, total, size);

    public Task ArmCountAsync(int id, long total) => Peer.ArmCountAsync(id, total);

    public Task ReceivedAsync() => Peer.ReceivedAsync();

    public Task EchoAsync(int id) => Peer.EchoAsync(id);

    public Task<double[]> PingPongAsync(int id, int count, int size, int warmup) => Peer.PingPongAsync(id, count, size, warmup);

    public Task CloseChannelAsync(int id) => Peer.CloseChannelAsync(id);
}
