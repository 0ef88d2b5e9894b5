using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using P2p.Interop.Tests.Support;
using P2p.Testing.Chromium;
using P2p.Testing;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc;

namespace P2p.Interop.Tests;

/// <summary>Our RtcPeerConnection against headless Chromium, in both offer directions.</summary>
[TestFixture]
[NonParallelizable]
public class PeerConnectionChromiumTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private ChromiumSession _chromium = null!;
    private int _peers;

    [OneTimeSetUp]
    public async Task Launch() => _chromium = await ChromiumSession.LaunchAsync();

    [OneTimeTearDown]
    public async Task Close() => await _chromium.DisposeAsync();

    private static RtcConfiguration Loopback() => new()
    {
        AddressFilter = a => a.Equals(IPAddress.Loopback),
        LoggerFactory = TestLog.ToTestOutput(LogLevel.Information),
    };

    [Test]
    [CancelAfter(60_000)]
    public async Task Chromium_offers_channels_from_both_sides_open_and_data_round_trips(CancellationToken ct)
    {
        var browser = await _chromium.NewPeerAsync($"chromium-offers-{++_peers}");
        await using var ours = new RtcPeerConnection(Loopback());
        var link = new ChromiumLink(ours, browser);
        var announced = NextChannel(ours);
        await browser.CreateChannelAsync("from-chromium");

        await link.ChromiumOffersAsync(ct);
        await link.WaitConnectedAsync(Timeout, ct);
        var fromChromium = await announced.WaitAsync(Timeout, ct);
        Assert.That(fromChromium.Label, Is.EqualTo("from-chromium"));
        await browser.WaitOpenAsync("from-chromium");

        await ExchangeAsync(ours, browser, fromChromium, ct);
        Assert.That(ours.SelectedCandidatePair!.Local.Address, Is.EqualTo("127.0.0.1"));
        Assert.That(ours.RemoteMaxMessageSize, Is.EqualTo(262144));
        Assert.That(link.Errors, Is.Empty);
        Assert.That(browser.PageErrors, Is.Empty);
        await browser.CloseAsync();
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task We_offer_channels_from_both_sides_open_and_data_round_trips(CancellationToken ct)
    {
        var browser = await _chromium.NewPeerAsync($"we-offer-{++_peers}");
        await using var ours = new RtcPeerConnection(Loopback());
        var link = new ChromiumLink(ours, browser);
        var ourFirst = ours.CreateDataChannel("from-p2p");

        await link.WeOfferAsync(ct);
        await link.WaitConnectedAsync(Timeout, ct);
        await browser.WaitOpenAsync("from-p2p");
        await OpenAsync(ourFirst, ct);

        var announced = NextChannel(ours);
        await browser.CreateChannelAsync("from-chromium");
        var fromChromium = await announced.WaitAsync(Timeout, ct);
        await browser.WaitOpenAsync("from-chromium");

        await ExchangeAsync(ours, browser, fromChromium, ct);
        Assert.That(link.Errors, Is.Empty);
        Assert.That(browser.PageErrors, Is.Empty);
        await browser.CloseAsync();
    }

    /// <summary>
    /// Round trips of 1 B, 16 KiB and 256 KiB (text and binary) through our echo, then 16 MiB each
    /// way checked by hash, then a channel of ours that Chromium sees open and closed.
    /// </summary>
    private static async Task ExchangeAsync(RtcPeerConnection ours, BrowserPeer browser, RtcDataChannel fromChromium, CancellationToken ct)
    {
        fromChromium.MessageReceived += (_, e) =>
        {
            if (e.IsText)
            {
                fromChromium.Send(e.Text);
            }
            else
            {
                fromChromium.Send(e.Data.Span);
            }
        };
        Assert.That(await browser.RoundTripTextAsync(fromChromium.Label, "hello from chromium"), Is.EqualTo("hello from chromium"));
        foreach (var size in new[] { 1, 16 * 1024, 256 * 1024 })
        {
            var data = RandomNumberGenerator.GetBytes(size);
            Assert.That(await browser.RoundTripBinaryAsync(fromChromium.Label, data), Is.EqualTo(data), $"{size} bytes");
        }

        // 16 MiB Chromium → us (in 64 KiB messages), checked by hash on our side.
        const int total = 16 << 20;
        var bulk = ours.CreateDataChannel("bulk");
        await OpenAsync(bulk, ct);
        await browser.WaitOpenAsync("bulk");
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long got = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bulk.MessageReceived += (_, e) =>
        {
            hash.AppendData(e.Data.Span);
            if (Interlocked.Add(ref got, e.Data.Length) >= total)
            {
                done.TrySetResult();
            }
        };
        await browser.SendBulkAsync("bulk", total, 64 * 1024, 60_000);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        var expected = SHA256.HashData(BrowserPeer.BulkPattern(0, total));
        Assert.That(hash.GetHashAndReset(), Is.EqualTo(expected), "16 MiB from Chromium");

        // 16 MiB us → Chromium, with back-pressure, checked by hash in the page.
        await browser.ArmReceiveAsync("bulk", total);
        var pattern = BrowserPeer.BulkPattern(0, total);
        for (var offset = 0; offset < total; offset += 64 * 1024)
        {
            await bulk.SendAsync(pattern.AsMemory(offset, 64 * 1024), ct);
        }

        var received = await browser.ReceivedAsync(60_000);
        Assert.That(received.GetProperty("sha256").GetString(), Is.EqualTo(Convert.ToHexStringLower(expected)), "16 MiB to Chromium");

        // Closing our channel resets the stream: Chromium sees it close.
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bulk.Closed += (_, _) => closed.TrySetResult();
        bulk.Close();
        await browser.WaitChannelClosedAsync("bulk");
        await closed.Task.WaitAsync(Timeout, ct);
        Assert.That(bulk.ReadyState, Is.EqualTo(RtcDataChannelState.Closed));
    }

    private static Task<RtcDataChannel> NextChannel(RtcPeerConnection pc)
    {
        var next = new TaskCompletionSource<RtcDataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        pc.DataChannel += (_, channel) => next.TrySetResult(channel);
        return next.Task;
    }

    private static async Task OpenAsync(RtcDataChannel channel, CancellationToken ct)
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Opened += (_, _) => open.TrySetResult();
        if (channel.ReadyState == RtcDataChannelState.Open)
        {
            open.TrySetResult();
        }

        await open.Task.WaitAsync(Timeout, ct);
    }
}
