using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using P2p.Testing;
using P2p.Testing.Interop;
using P2p.WebRtc;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Sdp;

namespace P2p.Interop.Tests.IceRestart;

/// <summary>
/// ICE restart (RFC 8445 §9, JSEP) against a real browser, in both roles: we call <see cref="RtcPeerConnection.RestartIce"/>
/// and the browser answers; the browser calls <c>pc.restartIce()</c> and we answer. Afterwards the same data channel
/// carries messages both ways (no new DTLS handshake, no new SCTP association) and every ufrag changed. The browser
/// runs in its own process (restart-browser.js); a missing browser fails the test.
/// </summary>
public abstract class IceRestartBrowserTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>chromium or firefox.</summary>
    protected abstract string Browser { get; }

    /// <summary>The one address both sides use: 127.0.0.1 for Chromium; the namespace's lab address for Firefox (it gathers no loopback).</summary>
    protected abstract IPAddress Address { get; }

    [Test]
    [CancelAfter(90_000)]
    public async Task We_restart_ice_the_browser_answers_and_the_same_channel_carries_messages_both_ways(CancellationToken ct)
    {
        await using var browser = await RestartBrowserPeer.StartAsync(Browser, ct);
        var log = TestLog.ToTestOutput(LogLevel.Information);
        await using var ours = new RtcPeerConnection(new RtcConfiguration { AddressFilter = a => a.Equals(Address), LoggerFactory = log });
        using var link = Link(ours, browser, ct);
        var channel = ours.CreateDataChannel("chat");
        var announced = 0;
        ours.DataChannel += (_, _) => Interlocked.Increment(ref announced);

        await WeOfferAsync(ours, browser);
        await ConnectedAsync(ours, browser, channel);
        await ExchangeAsync(channel, browser, "before");
        var before = await UfragsAsync(ours, browser);

        var moved = SelectedPairChangedAsync(ours);
        var clock = Stopwatch.StartNew();
        ours.RestartIce();
        await WeOfferAsync(ours, browser);
        await moved.WaitAsync(Timeout, ct);
        var selectedAfter = clock.Elapsed;
        await ExchangeAsync(channel, browser, "after");
        var recoveredAfter = clock.Elapsed;
        TestContext.Out.WriteLine($"{browser.Version}: RestartIce → new pair {selectedAfter.TotalMilliseconds:0} ms, → round trip on the channel {recoveredAfter.TotalMilliseconds:0} ms");

        var after = await UfragsAsync(ours, browser);
        await AssertRestartedAsync(ours, browser, before, after, announced);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task The_browser_restarts_ice_we_answer_and_the_same_channel_carries_messages_both_ways(CancellationToken ct)
    {
        await using var browser = await RestartBrowserPeer.StartAsync(Browser, ct);
        var log = TestLog.ToTestOutput(LogLevel.Information);
        await using var ours = new RtcPeerConnection(new RtcConfiguration { AddressFilter = a => a.Equals(Address), LoggerFactory = log });
        using var link = Link(ours, browser, ct);
        var channelTask = new TaskCompletionSource<RtcDataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        var announced = 0;
        ours.DataChannel += (_, c) =>
        {
            Interlocked.Increment(ref announced);
            channelTask.TrySetResult(c);
        };
        await browser.CallAsync("createChannel", new { label = "chat" });

        await BrowserOffersAsync(ours, browser);
        var channel = await channelTask.Task.WaitAsync(Timeout, ct);
        await ConnectedAsync(ours, browser, channel);
        await ExchangeAsync(channel, browser, "before");
        var before = await UfragsAsync(ours, browser);

        var moved = SelectedPairChangedAsync(ours);
        var clock = Stopwatch.StartNew();
        await browser.CallAsync("restartIce");
        await BrowserOffersAsync(ours, browser);
        await moved.WaitAsync(Timeout, ct);
        var selectedAfter = clock.Elapsed;
        await ExchangeAsync(channel, browser, "after");
        TestContext.Out.WriteLine($"{browser.Version}: restartIce() → new pair {selectedAfter.TotalMilliseconds:0} ms, → round trip on the channel {clock.Elapsed.TotalMilliseconds:0} ms");

        var after = await UfragsAsync(ours, browser);
        await AssertRestartedAsync(ours, browser, before, after, announced - 1);
    }

    private static async Task AssertRestartedAsync(RtcPeerConnection ours, RestartBrowserPeer browser, Ufrags before, Ufrags after, int newChannels)
    {
        var state = await browser.CallAsync("state");
        Assert.Multiple(() =>
        {
            Assert.That(after.Ours, Is.Not.EqualTo(before.Ours), "our ufrag changed");
            Assert.That(after.Theirs, Is.Not.EqualTo(before.Theirs), "the browser's ufrag changed");
            Assert.That(after.TheirsAsWeSeeIt, Is.EqualTo(after.Theirs), "we use the browser's new credentials");
            Assert.That(after.OursAsTheySeeIt, Is.EqualTo(after.Ours), "the browser uses our new credentials");
            Assert.That(newChannels, Is.Zero, "the same channel: no new DCEP open");
            Assert.That(ours.ConnectionState, Is.EqualTo(RtcPeerConnectionState.Connected));
            Assert.That((string?)state!["pc"], Is.EqualTo("connected"), state.ToJsonString());
        });
    }

    private static async Task WeOfferAsync(RtcPeerConnection ours, RestartBrowserPeer browser)
    {
        var offer = await ours.CreateOfferAsync();
        await ours.SetLocalDescriptionAsync(offer);
        var answer = await browser.CallAsync("answer", new { description = new { type = "offer", sdp = offer.Sdp } });
        await ours.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Answer, (string)answer!["sdp"]!));
    }

    private static async Task BrowserOffersAsync(RtcPeerConnection ours, RestartBrowserPeer browser)
    {
        var offer = await browser.CallAsync("offer");
        await ours.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Offer, (string)offer!["sdp"]!));
        var answer = await ours.CreateAnswerAsync();
        await ours.SetLocalDescriptionAsync(answer);
        await browser.CallAsync("accept", new { description = new { type = "answer", sdp = answer.Sdp } });
    }

    private static async Task ConnectedAsync(RtcPeerConnection ours, RestartBrowserPeer browser, RtcDataChannel channel)
    {
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ours.ConnectionStateChanged += (_, s) =>
        {
            if (s == RtcPeerConnectionState.Connected)
            {
                connected.TrySetResult();
            }
        };
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Opened += (_, _) => open.TrySetResult();
        if (ours.ConnectionState == RtcPeerConnectionState.Connected)
        {
            connected.TrySetResult();
        }

        if (channel.ReadyState == RtcDataChannelState.Open)
        {
            open.TrySetResult();
        }

        await connected.Task.WaitAsync(Timeout);
        await open.Task.WaitAsync(Timeout);
        await browser.CallAsync("waitConnected", new { timeoutMs = 15_000 });
        await browser.CallAsync("waitOpen", new { label = "chat", timeoutMs = 15_000 });
    }

    /// <summary>Three messages each way on "chat", in order.</summary>
    private static async Task ExchangeAsync(RtcDataChannel channel, RestartBrowserPeer browser, string tag)
    {
        var received = System.Threading.Channels.Channel.CreateUnbounded<string>();
        void OnMessage(object? sender, RtcDataChannelMessageEventArgs e) => received.Writer.TryWrite(e.Text);
        channel.MessageReceived += OnMessage;
        for (var i = 0; i < 3; i++)
        {
            channel.Send($"{tag} to browser {i}");
            await browser.CallAsync("send", new { label = "chat", text = $"{tag} to p2p {i}" });
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.That(await browser.Messages.Reader.ReadAsync().AsTask().WaitAsync(Timeout), Is.EqualTo($"chat:{tag} to browser {i}"));
            Assert.That(await received.Reader.ReadAsync().AsTask().WaitAsync(Timeout), Is.EqualTo($"{tag} to p2p {i}"));
        }

        channel.MessageReceived -= OnMessage;
    }

    private sealed record Ufrags(string Ours, string Theirs, string TheirsAsWeSeeIt, string OursAsTheySeeIt);

    private static async Task<Ufrags> UfragsAsync(RtcPeerConnection ours, RestartBrowserPeer browser)
    {
        var state = await browser.CallAsync("state");
        return new Ufrags(Ufrag(ours.LocalDescription!.Sdp), (string)state!["localUfrag"]!, Ufrag(ours.RemoteDescription!.Sdp), (string)state["remoteUfrag"]!);
    }

    private static string Ufrag(string sdp)
    {
        var parsed = SessionDescription.Parse(sdp);
        return parsed.GetIceUfrag(parsed.Media.First(m => m.IsDataChannel))!;
    }

    private static Task SelectedPairChangedAsync(RtcPeerConnection pc)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pc.SelectedCandidatePairChanged += (_, _) => changed.TrySetResult();
        return changed.Task;
    }

    /// <summary>Trickles candidates of <see cref="Address"/> both ways (the page holds ours until their description is applied).</summary>
    private CancellationTokenSource Link(RtcPeerConnection ours, RestartBrowserPeer browser, CancellationToken ct)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var address = " " + Address + " ";
        ours.IceCandidate += (_, e) =>
        {
            if (e.Candidate is { } c && c.Candidate.Contains(address, StringComparison.Ordinal))
            {
                _ = browser.CallAsync("candidate", new { candidate = JsonSerializer.SerializeToNode(c) });
            }
        };
        _ = Task.Run(
            async () =>
        {
            await foreach (var c in browser.Candidates.Reader.ReadAllAsync(stop.Token))
            {
                if (c is not null && ((string?)c["candidate"])?.Contains(address, StringComparison.Ordinal) == true && ((string?)c["candidate"])!.Contains(" udp ", StringComparison.OrdinalIgnoreCase))
                {
                    try
                    {
                        await ours.AddIceCandidateAsync(c.Deserialize<RtcIceCandidateInit>()!, stop.Token);
                    }
                    catch (InvalidOperationException)
                    {
                        // closed meanwhile
                    }
                }
            }
        },
            CancellationToken.None);
        return stop;
    }
}

/// <summary><see cref="IceRestartBrowserTests"/> against headless Chromium on 127.0.0.1.</summary>
[TestFixture]
[NonParallelizable]
public sealed class IceRestartChromiumTests : IceRestartBrowserTests
{
    /// <inheritdoc/>
    protected override string Browser => "chromium";

    /// <inheritdoc/>
    protected override IPAddress Address => IPAddress.Loopback;
}

/// <summary><see cref="IceRestartBrowserTests"/> against headless Firefox ESR on the test namespace's lab address.</summary>
[TestFixture]
[NonParallelizable]
public sealed class IceRestartFirefoxTests : IceRestartBrowserTests
{
    /// <inheritdoc/>
    protected override string Browser => "firefox";

    /// <inheritdoc/>
    protected override IPAddress Address => InteropAddresses.Lab;
}
