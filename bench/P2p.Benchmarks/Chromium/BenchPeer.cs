using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Playwright;
using P2p.Testing.Chromium;

namespace P2p.Benchmarks.Chromium;

/// <summary>One RTCPeerConnection in its own Chromium page (bench-page.js), driven from .NET.</summary>
internal sealed class BenchPeer
{
    private const int Timeout = 300_000;
    private readonly IBrowserContext _context;
    private readonly IPage _page;
    private readonly Channel<string?> _candidates = Channel.CreateUnbounded<string?>();

    internal BenchPeer(IBrowserContext context, IPage page, string name)
    {
        _context = context;
        _page = page;
        Name = name;
    }

    public string Name { get; }

    /// <summary>Local candidates (RTCIceCandidateInit JSON) as Chromium gathers them; null: end of candidates.</summary>
    public ChannelReader<string?> LocalCandidates => _candidates.Reader;

    internal void OnLocalCandidate(string? json) => _candidates.Writer.TryWrite(json);

    internal Task CreateAsync() => Call<bool>("n => bench.create(n)", Name);

    /// <summary>Creates the DCEP channel "ctl" (the set-up probe).</summary>
    public Task CtlAsync() => Call<bool>("n => bench.ctl(n)", Name);

    /// <summary>Waits until the "ctl" channel (created here or announced by the peer) is open.</summary>
    public Task WaitCtlAsync() => Call<bool>("([n, t]) => bench.waitCtl(n, t)", new object[] { Name, 30_000 });

    /// <summary>Creates the negotiated channel <paramref name="id"/> (the other end must create the same id).</summary>
    public Task ChannelAsync(int id) => Call<bool>("([n, i]) => bench.channel(n, i)", new object[] { Name, id });

    public Task WaitOpenAsync(int id) => Call<bool>("([n, i, t]) => bench.waitOpen(n, i, t)", new object[] { Name, id, 30_000 });

    public Task<SessionDescriptionJson> OfferAsync() => Call<SessionDescriptionJson>("n => bench.offer(n)", Name);

    public Task<SessionDescriptionJson> AnswerAsync(SessionDescriptionJson offer) =>
        Call<SessionDescriptionJson>("([n, o]) => bench.answer(n, o)", new object[] { Name, offer });

    public Task AcceptAsync(SessionDescriptionJson answer) => Call<bool>("([n, a]) => bench.accept(n, a)", new object[] { Name, answer });

    public Task AddCandidateAsync(string json) => Call<bool>("([n, c]) => bench.addCandidate(n, c)", new object[] { Name, json });

    /// <summary>Queues <paramref name="total"/> bytes in <paramref name="size"/>-byte messages with back-pressure at 4 MiB / 1 MiB; completes when all is queued.</summary>
    public Task SendBulkAsync(int id, long total, int size) =>
        Call<double>("([n, i, t, s, h, l, to]) => bench.sendBulk(n, i, t, s, h, l, to)", new object[] { Name, id, total, size, 4 << 20, 1 << 20, Timeout });

    public Task ArmCountAsync(int id, long total) => Call<bool>("([n, i, t]) => bench.armCount(n, i, t)", new object[] { Name, id, total });

    public Task ReceivedAsync() => Call<double>("([n, t]) => bench.received(n, t)", new object[] { Name, Timeout });

    public Task EchoAsync(int id) => Call<bool>("([n, i]) => bench.echo(n, i)", new object[] { Name, id });

    /// <summary>Ping-pong against an echoing peer, timed in the page; microseconds per round trip (warm-up excluded).</summary>
    public Task<double[]> PingPongAsync(int id, int count, int size, int warmup) =>
        Call<double[]>("([n, i, c, s, w, t]) => bench.pingPong(n, i, c, s, w, t)", new object[] { Name, id, count, size, warmup, Timeout });

    public Task CloseChannelAsync(int id) => Call<bool>("([n, i]) => bench.closeChannel(n, i)", new object[] { Name, id });

    /// <summary>Closes the peer connection and the page's context.</summary>
    public async Task CloseAsync()
    {
        await Call<bool>("n => bench.close(n)", Name);
        await _context.CloseAsync();
    }

    /// <summary>True when an RTCIceCandidateInit JSON carries a UDP candidate on 127.0.0.1 (the only ones forwarded).</summary>
    public static bool IsLoopbackUdp(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var fields = (doc.RootElement.GetProperty("candidate").GetString() ?? string.Empty).Split(' ');
        return fields.Length > 5 && fields[2].Equals("udp", StringComparison.OrdinalIgnoreCase) && fields[4] == "127.0.0.1";
    }

    /// <summary>Forwards this peer's loopback candidates to <paramref name="deliver"/> until end-of-candidates.</summary>
    public async Task PumpCandidatesAsync(Func<string, Task> deliver, CancellationToken ct)
    {
        await foreach (var json in LocalCandidates.ReadAllAsync(ct))
        {
            if (json is null)
            {
                return;
            }

            if (IsLoopbackUdp(json))
            {
                await deliver(json);
            }
        }
    }

    private async Task<T> Call<T>(string expression, object? arg)
    {
        try
        {
            return await _page.EvaluateAsync<T>(expression, arg);
        }
        catch (PlaywrightException e)
        {
            throw new InvalidOperationException($"Chromium peer {Name}: {e.Message}", e);
        }
    }
}
