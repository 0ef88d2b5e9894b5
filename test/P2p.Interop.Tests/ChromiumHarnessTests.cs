using System.Security.Cryptography;
using P2p.Testing.Chromium;

namespace P2p.Interop.Tests;

/// <summary>
/// Proves the harness itself: two Chromium pages connected through signaling carried by the test.
/// If these fail, the interop tests of our stack cannot be trusted either.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ChromiumHarnessTests
{
    private ChromiumSession _chromium = null!;

    [OneTimeSetUp]
    public async Task Launch() => _chromium = await ChromiumSession.LaunchAsync();

    [OneTimeTearDown]
    public async Task Close() => await _chromium.DisposeAsync();

    [Test]
    [CancelAfter(60_000)]
    public async Task Two_pages_connect_over_loopback_and_exchange_data(CancellationToken ct)
    {
        var a = await _chromium.NewPeerAsync("harness-a");
        var b = await _chromium.NewPeerAsync("harness-b");
        var pumpA = CandidateRelay.PumpAsync(a, b.AddCandidateAsync, ct);
        var pumpB = CandidateRelay.PumpAsync(b, a.AddCandidateAsync, ct);

        await a.CreateChannelAsync("data");
        var offer = await a.CreateOfferAsync();
        Assert.That(offer.sdp, Does.Contain("UDP/DTLS/SCTP webrtc-datachannel"));
        var answer = await b.AnswerAsync(offer);
        await a.AcceptAsync(answer);

        await a.WaitOpenAsync("data");
        await b.WaitOpenAsync("data");
        await b.EchoAsync("data");

        Assert.That(await a.RoundTripTextAsync("data", "hello"), Is.EqualTo("hello"));
        var binary = RandomNumberGenerator.GetBytes(16 * 1024);
        Assert.That(await a.RoundTripBinaryAsync("data", binary), Is.EqualTo(binary));

        // 1 MiB one way, checked by hash on the receiving page.
        const int total = 1 << 20;
        await b.CloseChannelAsync("data");
        await a.WaitChannelClosedAsync("data");
        await a.CreateChannelAsync("bulk");
        await a.WaitOpenAsync("bulk");
        await b.WaitOpenAsync("bulk");
        await b.ArmReceiveAsync("bulk", total);
        await a.SendBulkAsync("bulk", total, 64 * 1024, 30_000);
        var received = await b.ReceivedAsync(30_000);
        var expected = Convert.ToHexStringLower(SHA256.HashData(BrowserPeer.BulkPattern(0, total)));
        Assert.That(received.GetProperty("sha256").GetString(), Is.EqualTo(expected));

        var state = await a.StateAsync();
        Assert.That(state.GetProperty("pc").GetString(), Is.EqualTo("connected"));
        Assert.That(a.PageErrors.Concat(b.PageErrors), Is.Empty);
        await a.CloseAsync();
        await b.CloseAsync();
        await Task.WhenAll(pumpA, pumpB).WaitAsync(TimeSpan.FromSeconds(5), ct).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
