using System.Net;
using Microsoft.Extensions.Logging;
using P2p.Interop.Tests.Support;
using P2p.Testing.Chromium;
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
        LoggerFactory = NUnitLoggerProvider.CreateFactory(LogLevel.Information),
    };

    [Test]
    [CancelAfter(60_000)]
    public async Task ChromiumOffers_WeAnswer_IceAndDtlsConnect(CancellationToken ct)
    {
        var browser = await _chromium.NewPeerAsync($"chromium-offers-{++_peers}");
        await using var ours = new RtcPeerConnection(Loopback());
        var link = new ChromiumLink(ours, browser);
        await browser.CreateChannelAsync("data");

        await link.ChromiumOffersAsync(ct);
        await link.WaitConnectedAsync(Timeout, ct);

        Assert.That(ours.SelectedCandidatePair!.Local.Address, Is.EqualTo("127.0.0.1"));
        Assert.That(ours.RemoteMaxMessageSize, Is.EqualTo(262144));
        Assert.That(link.Errors, Is.Empty);
        Assert.That(browser.PageErrors, Is.Empty);
        await browser.CloseAsync();
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task WeOffer_ChromiumAnswers_IceAndDtlsConnect(CancellationToken ct)
    {
        var browser = await _chromium.NewPeerAsync($"we-offer-{++_peers}");
        await using var ours = new RtcPeerConnection(Loopback());
        var link = new ChromiumLink(ours, browser);

        await link.WeOfferAsync(ct);
        await link.WaitConnectedAsync(Timeout, ct);

        Assert.That(ours.SelectedCandidatePair!.Local.Address, Is.EqualTo("127.0.0.1"));
        Assert.That(link.Errors, Is.Empty);
        Assert.That(browser.PageErrors, Is.Empty);
        await browser.CloseAsync();
    }
}
