using System.Diagnostics;
using System.Net;
using System.Text.Json;
using P2p.ColdStart;
using P2p.Testing.Chromium;
using P2p.WebRtc;
using P2p.WebRtc.DataChannels;

namespace P2p.Benchmarks.Report;

/// <summary>
/// A connected pair of link ends (.NET↔.NET, .NET↔Chromium or Chromium↔Chromium) on 127.0.0.1, with
/// the time from creating the offer to the first data channel ("ctl", announced by DCEP) open on both
/// ends. Signaling is carried by this process (in memory, or through Playwright for a page).
/// </summary>
internal sealed class BenchLink : IAsyncDisposable
{
    private readonly Func<ValueTask> _dispose;
    private int _nextId = 10;

    private BenchLink(string name, IBenchEnd offerer, IBenchEnd answerer, double setupMs, Func<ValueTask> dispose)
    {
        Name = name;
        Offerer = offerer;
        Answerer = answerer;
        SetupMs = setupMs;
        _dispose = dispose;
    }

    public string Name { get; }

    public IBenchEnd Offerer { get; }

    public IBenchEnd Answerer { get; }

    /// <summary>Offer created → "ctl" open on both ends, in milliseconds.</summary>
    public double SetupMs { get; }

    /// <summary>A fresh negotiated channel id, open on both ends.</summary>
    public async Task<int> NewChannelAsync()
    {
        var id = _nextId += 2;
        await Offerer.CreateChannelAsync(id);
        await Answerer.CreateChannelAsync(id);
        await Task.WhenAll(Offerer.WaitOpenAsync(id), Answerer.WaitOpenAsync(id));
        return id;
    }

    public async Task CloseChannelAsync(int id)
    {
        await Offerer.CloseChannelAsync(id);
        await Answerer.CloseChannelAsync(id);
    }

    public ValueTask DisposeAsync() => _dispose();

    public static RtcConfiguration Loopback() => new() { AddressFilter = a => a.Equals(IPAddress.Loopback) };

    public static async Task<BenchLink> DotNetAsync(RtcConfiguration? configuration = null)
    {
        configuration ??= Loopback();
        var offerer = new RtcPeerConnection(configuration);
        var answerer = new RtcPeerConnection(configuration);
        try
        {
            offerer.IceCandidate += (_, e) => _ = answerer.AddIceCandidateAsync(e.Candidate);
            answerer.IceCandidate += (_, e) => _ = offerer.AddIceCandidateAsync(e.Candidate);
            var announced = new TaskCompletionSource<RtcDataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
            answerer.DataChannel += (_, c) => announced.TrySetResult(c);

            var clock = Stopwatch.StartNew();
            var opened = DotNetEnd.OpenedAsync(offerer.CreateDataChannel("ctl"));
            await Negotiation.ExchangeAsync(offerer, answerer);
            await Task.WhenAll(opened, announced.Task).WaitAsync(TimeSpan.FromSeconds(30));
            var setup = clock.Elapsed.TotalMilliseconds;
            return new BenchLink(".NET ↔ .NET", new DotNetEnd(offerer), new DotNetEnd(answerer), setup, async () =>
            {
                await offerer.DisposeAsync();
                await answerer.DisposeAsync();
            });
        }
        catch
        {
            await offerer.DisposeAsync();
            await answerer.DisposeAsync();
            throw;
        }
    }

    /// <summary>Our peer connection offers, a Chromium page answers.</summary>
    public static async Task<BenchLink> DotNetChromiumAsync(ChromiumSession browser, string name)
    {
        var page = await browser.NewPeerAsync(name);
        var ours = new RtcPeerConnection(Loopback());
        using var stop = new CancellationTokenSource();
        try
        {
            ours.IceCandidate += (_, e) =>
            {
                if (e.Candidate is { } c && c.Candidate.Contains(" 127.0.0.1 ", StringComparison.Ordinal))
                {
                    _ = page.AddCandidateAsync(JsonSerializer.Serialize(c));
                }
            };
            _ = CandidateRelay.PumpAsync(page, json => ours.AddIceCandidateAsync(JsonSerializer.Deserialize<RtcIceCandidateInit>(json)!), stop.Token);

            var trace = Environment.GetEnvironmentVariable("P2P_BENCH_TRACE") == "1";
            var clock = Stopwatch.StartNew();
            if (trace)
            {
                ours.IceConnectionStateChanged += (_, st) => Console.Error.WriteLine($"      {clock.Elapsed.TotalMilliseconds:F1} ms ice {st}");
                ours.ConnectionStateChanged += (_, st) => Console.Error.WriteLine($"      {clock.Elapsed.TotalMilliseconds:F1} ms pc {st}");
                ours.IceCandidate += (_, e) => Console.Error.WriteLine($"      {clock.Elapsed.TotalMilliseconds:F1} ms local candidate {e.Candidate?.Candidate}");
            }

            var opened = DotNetEnd.OpenedAsync(ours.CreateDataChannel("ctl"));
            var offer = await ours.CreateOfferAsync();
            await ours.SetLocalDescriptionAsync(offer);
            var answer = await page.AnswerAsync(new SessionDescriptionJson { type = offer.TypeName, sdp = offer.Sdp });
            if (trace)
            {
                Console.Error.WriteLine($"      {clock.Elapsed.TotalMilliseconds:F1} ms answer received");
            }

            await ours.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSessionDescription.ParseType(answer.type), answer.sdp));
            await Task.WhenAll(opened, page.WaitOpenAsync("ctl", 30_000)).WaitAsync(TimeSpan.FromSeconds(30));
            var setup = clock.Elapsed.TotalMilliseconds;
            return new BenchLink(".NET ↔ Chromium", new DotNetEnd(ours), new ChromiumEnd(page), setup, async () =>
            {
                await ours.DisposeAsync();
                await page.CloseAsync();
            });
        }
        catch
        {
            await ours.DisposeAsync();
            await page.CloseAsync();
            throw;
        }
        finally
        {
            await stop.CancelAsync();
        }
    }

    /// <summary>Two Chromium pages (two contexts of one browser): the first offers.</summary>
    /// <param name="browser">The browser.</param>
    /// <param name="name">The pages' name prefix.</param>
    /// <param name="configurationJson">Both pages' RTCConfiguration (e.g. iceServers and iceTransportPolicy); null for none.</param>
    public static async Task<BenchLink> ChromiumAsync(ChromiumSession browser, string name, string? configurationJson = null)
    {
        var a = await browser.NewPeerAsync(name + "-a", configurationJson);
        var b = await browser.NewPeerAsync(name + "-b", configurationJson);
        using var stop = new CancellationTokenSource();
        try
        {
            _ = CandidateRelay.PumpAsync(a, b.AddCandidateAsync, stop.Token);
            _ = CandidateRelay.PumpAsync(b, a.AddCandidateAsync, stop.Token);
            var clock = Stopwatch.StartNew();
            await a.CreateChannelAsync("ctl");
            var offer = await a.CreateOfferAsync();
            var answer = await b.AnswerAsync(offer);
            await a.AcceptAsync(answer);
            await Task.WhenAll(a.WaitOpenAsync("ctl", 30_000), b.WaitOpenAsync("ctl", 30_000));
            var setup = clock.Elapsed.TotalMilliseconds;
            return new BenchLink("Chromium ↔ Chromium", new ChromiumEnd(a), new ChromiumEnd(b), setup, async () =>
            {
                await a.CloseAsync();
                await b.CloseAsync();
            });
        }
        catch
        {
            await a.CloseAsync();
            await b.CloseAsync();
            throw;
        }
        finally
        {
            // Candidates arrive until gathering completes; the pumps end with end-of-candidates or here.
            await stop.CancelAsync();
        }
    }
}
