using System.Diagnostics;
using P2p.Testing.Chromium;

namespace P2p.Benchmarks.Chromium;

/// <summary>Two connected Chromium peers (two pages of one browser), loopback candidates only.</summary>
internal sealed class ChromiumPair
{
    private ChromiumPair(BrowserPeer offerer, BrowserPeer answerer, double setupMs)
    {
        Offerer = offerer;
        Answerer = answerer;
        SetupMs = setupMs;
    }

    public BrowserPeer Offerer { get; }

    public BrowserPeer Answerer { get; }

    /// <summary>Offer created → channel open on both sides, in milliseconds.</summary>
    public double SetupMs { get; }

    public static async Task<ChromiumPair> ConnectAsync(ChromiumSession chromium, string name, CancellationToken ct)
    {
        var a = await chromium.NewPeerAsync(name + "-a");
        var b = await chromium.NewPeerAsync(name + "-b");
        _ = CandidateRelay.PumpAsync(a, b.AddCandidateAsync, ct);
        _ = CandidateRelay.PumpAsync(b, a.AddCandidateAsync, ct);
        var clock = Stopwatch.StartNew();
        await a.CreateChannelAsync("ctl");
        var offer = await a.CreateOfferAsync();
        var answer = await b.AnswerAsync(offer);
        await a.AcceptAsync(answer);
        await Task.WhenAll(a.WaitOpenAsync("ctl"), b.WaitOpenAsync("ctl"));
        return new ChromiumPair(a, b, clock.Elapsed.TotalMilliseconds);
    }

    public async Task CloseAsync()
    {
        await Offerer.CloseAsync();
        await Answerer.CloseAsync();
    }
}
