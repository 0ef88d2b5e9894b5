using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using NUnit.Framework.Interfaces;
using P2p.Core;
using P2p.Core.Transport;
using P2p.Signaling.WebSockets;
using P2p.Transport.WebRtc;
using P2p.WebRtc.Ice;
using P2p.Testing.NatLab;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// p2p.js with <c>iceServersFromSignaling</c> and <c>iceTransportPolicy: "relay"</c>: Chromium members take TURN REST
/// credentials from the signaling server's <c>get_ice_servers</c> and connect through a real coturn
/// (<c>--use-auth-secret</c>) on 127.0.0.1, and nothing else.
/// </summary>
[NonParallelizable]
public class BrowserClientTurnTests
{
    private const string Secret = "browser-turn-rest-secret";
    private const int WaitMs = 30_000;
    private readonly List<BrowserClientPage> _pages = [];
    private CoturnProcess? _coturn;
    private BrowserClientServer? _server;
    private IBrowserContext? _context;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // A missing turnserver fails here with the package to install (./test.sh installs it).
        _coturn = await CoturnProcess.StartAsync(CoturnOptions.Loopback() with { StaticAuthSecret = Secret });
        _server = await BrowserClientServer.StartAsync(configure: o =>
        {
            o.TurnRest.Urls = [_coturn!.TurnUdpUrl];
            o.TurnRest.Secret = Secret;
        });
        _context = await BrowserClientEnvironment.Chromium.NewContextAsync(_server.HttpUri);
    }

    [TearDown]
    public async Task ClosePagesAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status != TestStatus.Passed)
        {
            foreach (var page in _pages)
            {
                await TestContext.Out.WriteLineAsync(await page.DiagnosticsAsync());
            }

            await TestContext.Out.WriteLineAsync("--- coturn:\n" + _coturn?.RecentOutput);
        }

        foreach (var page in _pages)
        {
            await page.CloseAsync();
        }

        _pages.Clear();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_context is not null)
        {
            await _context.CloseAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_coturn is not null)
        {
            await _coturn.DisposeAsync();
        }
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Two_pages_with_servers_from_signaling_and_the_relay_policy_connect_through_coturn()
    {
        var a = await OpenAsync("relay-a", new { iceServersFromSignaling = true, iceTransportPolicy = "relay", connectTimeout = WaitMs });
        var b = await OpenAsync("relay-b", new { iceServersFromSignaling = true, iceTransportPolicy = "relay", connectTimeout = WaitMs });

        var servers = await a.CallAsync("iceServers");
        Assert.That(servers.GetArrayLength(), Is.EqualTo(1), servers.GetRawText());
        Assert.That(servers[0].GetProperty("urls")[0].GetString(), Is.EqualTo(_coturn!.TurnUdpUrl));
        Assert.That(servers[0].GetProperty("username").GetString(), Does.Match("^[0-9]+:" + a.Id + "$"), "the member's own TURN REST user name");

        var group = await a.CallAsync("create", 15);
        await b.CallAsync("join", group.GetProperty("id").GetString());
        await a.CallAsync("waitConnected", 1, WaitMs);
        await b.CallAsync("waitConnected", 1, WaitMs);

        foreach (var page in new[] { a, b })
        {
            var types = await page.CallAsync("selectedCandidateTypes");
            var pair = types.EnumerateObject().Single(p => !p.Name.StartsWith('$')).Value; // Playwright adds "$id"
            Assert.That(pair.ValueKind, Is.EqualTo(JsonValueKind.Object), $"{page.Name}: no selected pair: {types.GetRawText()}");
            Assert.That(pair.GetProperty("local").GetString(), Is.EqualTo("relay"), page.Name + ": " + types.GetRawText());
            Assert.That(pair.GetProperty("remote").GetString(), Is.EqualTo("relay"), page.Name + ": " + types.GetRawText());
        }

        var sent = await a.CallAsync("broadcastText", "through coturn");
        Assert.That(sent.GetProperty("allDelivered").GetBoolean(), Is.True, sent.GetRawText());
        var received = await b.CallAsync("waitReceived", 1, WaitMs);
        Assert.That(received[0].GetProperty("text").GetString(), Is.EqualTo("through coturn"));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_dotnet_member_and_a_page_both_relay_only_with_servers_from_signaling_connect_through_coturn(CancellationToken ct)
    {
        var candidates = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var transport = new WebRtcPeerConnectionFactory(new WebRtcTransportOptions
        {
            AddressFilter = a => a.Equals(IPAddress.Loopback),
            IceServersFromSignaling = true,
            IceTransportPolicy = IceTransportPolicy.Relay,
        });
        var heard = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var dotnet = await Group.CreateAsync(
            await WebSocketSignalingChannel.ConnectAsync(_server!.WebSocketUri, cancellationToken: ct),
            new CandidateRecorder(transport, candidates),
            GroupCapability.All,
            new GroupOptions
            {
                MessageHandler = (from, data, _) =>
                {
                    heard.TrySetResult(Encoding.UTF8.GetString(data.Span));
                    return ValueTask.CompletedTask;
                },
            },
            new P2pOptions { ConnectTimeout = TimeSpan.FromMilliseconds(WaitMs) },
            ct);

        var page = await OpenAsync("relay-page", new { iceServersFromSignaling = true, iceTransportPolicy = "relay", connectTimeout = WaitMs });
        await page.CallAsync("join", dotnet.Id);
        await page.CallAsync("waitConnected", 1, WaitMs);
        using (var connected = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            connected.CancelAfter(WaitMs);
            await dotnet.WhenAllConnectedAsync(connected.Token);
        }

        var types = await page.CallAsync("selectedCandidateTypes");
        var pair = types.EnumerateObject().Single(p => !p.Name.StartsWith('$')).Value;
        Assert.That(pair.GetProperty("local").GetString(), Is.EqualTo("relay"), types.GetRawText());
        Assert.That(pair.GetProperty("remote").GetString(), Is.EqualTo("relay"), types.GetRawText());
        var dotnetCandidates = candidates.Where(c => c.Length > 0).ToArray();
        Assert.That(dotnetCandidates, Is.Not.Empty.And.All.Contain(" typ relay"));

        var sent = await page.CallAsync("broadcastText", "page to dotnet via coturn");
        Assert.That(sent.GetProperty("allDelivered").GetBoolean(), Is.True, sent.GetRawText());
        Assert.That(await heard.Task.WaitAsync(TimeSpan.FromMilliseconds(WaitMs), ct), Is.EqualTo("page to dotnet via coturn"));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task The_relay_policy_without_any_turn_server_is_a_clear_error()
    {
        var page = await BrowserClientPage.OpenAsync(_context!, _server!.HttpUri, "no-turn");
        _pages.Add(page);
        var ex = Assert.ThrowsAsync<InvalidOperationException>(async () => await page.ConnectAsync(_server.WebSocketUri, new { iceTransportPolicy = "relay" }));
        Assert.That(ex!.Message, Does.Contain("relay").And.Contain("iceServersFromSignaling"));
    }

    /// <summary>The .NET transport, recording the local candidates its connections signal.</summary>
    private sealed class CandidateRecorder(WebRtcPeerConnectionFactory inner, System.Collections.Concurrent.ConcurrentQueue<string> candidates) : IPeerConnectionFactory
    {
        public bool IceServersFromSignaling => inner.IceServersFromSignaling;

        public IPeerConnection CreateConnection(PeerConnectionContext context)
        {
            var connection = inner.CreateConnection(context);
            connection.LocalCandidate += (_, c) => candidates.Enqueue(c.Candidate);
            return connection;
        }
    }

    private async Task<BrowserClientPage> OpenAsync(string name, object options)
    {
        var page = await BrowserClientPage.OpenAsync(_context!, _server!.HttpUri, name);
        _pages.Add(page);
        await page.ConnectAsync(_server.WebSocketUri, options);
        return page;
    }
}
