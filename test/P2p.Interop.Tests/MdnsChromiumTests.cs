using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using P2p.Interop.Tests.Support;
using P2p.Testing;
using P2p.Testing.Chromium;
using P2p.Testing.NatLab;
using P2p.WebRtc;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Mdns;

namespace P2p.Interop.Tests;

/// <summary>
/// Chromium on default settings (no camera or microphone permission) hides its host addresses behind mDNS
/// <c>&lt;uuid&gt;.local</c> names. Here it runs in one network namespace and our RtcPeerConnection in another, the two
/// joined by one veth link (198.51.100.2 and .1): we must resolve its names with mDNS to connect as host candidates.
/// </summary>
[TestFixture]
[NonParallelizable]
public class MdnsChromiumTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Test]
    [CancelAfter(120_000)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // network namespaces; NamespaceLan.Create fails elsewhere
    public async Task Chromium_on_default_settings_signals_only_mdns_names_and_a_dotnet_peer_on_its_lan_resolves_them_and_exchanges_data(CancellationToken ct)
    {
        using var lan = NamespaceLan.Create("mchr");
        var directory = Directory.CreateTempSubdirectory("p2p-mdns-chromium-");
        try
        {
            var wrapper = Path.Combine(directory.FullName, "chromium-in-namespace");
            await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec {lan.B.ExecPrefix(ChromiumSession.ExecutablePath)} \"$@\"\n", ct);
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var launching = Stopwatch.StartNew();
            await using var chromium = await ChromiumSession.LaunchAsync(grantMediaPermission: false, executablePath: wrapper);
            TestContext.Out.WriteLine($"Chromium launched in its namespace in {launching.ElapsedMilliseconds} ms");
            await RunAsync(lan, chromium, ct);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task RunAsync(NamespaceLan lan, ChromiumSession chromium, CancellationToken ct)
    {
        var log = new TestLog(LogLevel.Debug);
        var clock = Stopwatch.StartNew();
        var browser = await chromium.NewPeerAsync("mdns-default-settings");
        await using var ours = new RtcPeerConnection(new RtcConfiguration
        {
            LoggerFactory = log,
            Ice = new IceAgentOptions
            {
                SocketFactory = new NamespaceSocketFactory(lan.A),
                Mdns = new MdnsOptions { SocketFactory = new NamespaceMdnsSocketFactory(lan.A) }, // Resolve: the default mode
            },
        });
        var fromBrowser = new ConcurrentQueue<string>();
        var link = new ChromiumLink(ours, browser, forwardOurs: _ => true, forwardBrowsers: json =>
        {
            fromBrowser.Enqueue(json);
            return true;
        });
        var announced = new TaskCompletionSource<RtcDataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        ours.DataChannel += (_, channel) => announced.TrySetResult(channel);
        await browser.CreateChannelAsync("chat");

        var pageReady = clock.Elapsed;
        await link.ChromiumOffersAsync(ct);
        await link.WaitConnectedAsync(Timeout, ct);
        var connected = clock.Elapsed;
        var channel = await announced.Task.WaitAsync(Timeout, ct);
        channel.MessageReceived += (_, e) => channel.Send(e.IsText ? "echo: " + e.Text : "binary");
        await browser.WaitOpenAsync("chat");
        var reply = await browser.RoundTripTextAsync("chat", "hello over mDNS");
        await WaitUntilAsync(() => ours.SelectedCandidatePair?.Remote.Address.EndsWith(".local", StringComparison.Ordinal) == true, log, ct);

        var hostCandidates = fromBrowser.Select(Address).Where(a => a.Type == "host").ToArray();
        var selected = ours.SelectedCandidatePair!;
        TestContext.Out.WriteLine($"page ready after {pageReady.TotalMilliseconds:F0} ms, connected after {(connected - pageReady).TotalMilliseconds:F0} ms more");
        TestContext.Out.WriteLine($"Chromium {chromium.BrowserVersion} host candidates: {string.Join(", ", hostCandidates.Select(h => h.Address))}; selected {selected}");
        Assert.Multiple(() =>
        {
            Assert.That(reply, Is.EqualTo("echo: hello over mDNS"));
            Assert.That(hostCandidates, Is.Not.Empty);
            Assert.That(hostCandidates.Select(h => h.Address), Is.All.Match(@"^[0-9a-f-]{36}\.local$"), "default settings: names only");
            Assert.That(hostCandidates.Select(h => h.Address), Has.Member(selected.Remote.Address));
            Assert.That(selected.Remote.Type, Is.EqualTo(P2p.WebRtc.Sdp.IceCandidateType.Host));
            Assert.That(selected.RemoteEndPoint?.Address, Is.EqualTo(NamespaceLan.AddressB), "the name resolved to Chromium's address");
            Assert.That(log.Contains(LogLevel.Debug, "resolved to 198.51.100.2"), Is.True, "resolved by mDNS");
            Assert.That(link.Errors, Is.Empty);
            Assert.That(browser.PageErrors, Is.Empty);
        });
        await browser.CloseAsync();
    }

    private static (string Address, string Type) Address(string candidateJson)
    {
        using var doc = JsonDocument.Parse(candidateJson);
        var fields = (doc.RootElement.GetProperty("candidate").GetString() ?? string.Empty).Split(' ');
        var typ = Array.IndexOf(fields, "typ");
        return (fields.Length > 4 ? fields[4] : string.Empty, typ >= 0 && typ + 1 < fields.Length ? fields[typ + 1] : string.Empty);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TestLog log, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > Timeout)
            {
                Assert.Fail($"the selected pair never named a .local candidate\n{log}");
            }

            await timer.WaitForNextTickAsync(ct);
        }
    }
}
