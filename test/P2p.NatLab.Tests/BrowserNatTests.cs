using System.Net;
using P2p.Testing.Interop;
using P2p.Testing.NatLab;
using P2p.WebRtc;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;

namespace P2p.NatLab.Tests;

/// <summary>
/// .NET ↔ browser across the lab's NATs: our RtcPeerConnection on one lab host (its ICE sockets in the host's
/// namespace, as in the .NET ↔ .NET cases) and headless Chromium or Firefox ESR running inside another host's
/// namespace, with the lab's coturn as its <c>iceServers</c>. The browser offers; both sides run the interop scenario
/// (test/interop-peers/PROTOCOL.md) with 1 MiB each way. Each case asserts the selected pair's candidate types on our
/// side and, from the browser's <c>getStats</c>, on its side.
/// </summary>
[TestFixtureSource(typeof(LabBrowser), nameof(LabBrowser.Names))]
public class BrowserNatTests(string browser) : LabTest
{
    private const int Mib = 1;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Test]
    [CancelAfter(90_000)]
    public async Task A_browser_and_a_dotnet_peer_behind_endpoint_independent_nats_connect_with_stun_through_each_others_public_mappings()
    {
        RtcIceServer[] stun = [new(Lab.Coturn.StunUrl)];

        var (ours, theirs) = await RunAsync(Lab.Alice, stun, Lab.Hank, stun);

        SelectedPair.AssertMappingToMapping(ours, Lab.Alice, Lab.Hank);
        Assert.Multiple(() =>
        {
            Assert.That(theirs.Local.Type, Is.AnyOf("srflx", "prflx"), $"{browser} sends from its mapping: {theirs}");
            Assert.That(theirs.Local.Address, Is.EqualTo(Lab.Hank.Lan.WanAddress.ToString()), $"{browser}'s mapping is on its router: {theirs}");
            Assert.That(theirs.Remote.Type, Is.AnyOf("srflx", "prflx"), $"{browser}: {theirs}");
            Assert.That(theirs.Remote.Address, Is.EqualTo(Lab.Alice.Lan.WanAddress.ToString()), $"{browser} sends to alice's mapping: {theirs}");
        });
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_browser_and_a_dotnet_peer_behind_symmetric_nats_connect_through_a_turn_relay_over_udp()
    {
        RtcIceServer[] turn = [Lab.Coturn.IceServer(Lab.Coturn.TurnUdpUrl)];

        var (ours, theirs) = await RunAsync(Lab.Dave, turn, Lab.Ivy, turn);

        SelectedPair.AssertRelayed(ours);
        Assert.That(theirs.Local.Type == "relay" || theirs.Remote.Type == "relay", Is.True, $"{browser}'s pair has a relay: {theirs}");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_browser_on_a_network_that_blocks_udp_connects_to_a_dotnet_peer_through_its_turn_relay_over_tcp()
    {
        RtcIceServer[] turnTcp = [Lab.Coturn.IceServer(Lab.Coturn.TurnTcpUrl)];
        RtcIceServer[] stun = [new(Lab.Coturn.StunUrl)];

        var (ours, theirs) = await RunAsync(Lab.Carol, stun, Lab.Judy, turnTcp);

        // The browser's only way out is the relay it allocated over TCP; we send to that relay from our own mapping.
        Assert.Multiple(() =>
        {
            Assert.That(ours.Remote.Type, Is.EqualTo(IceCandidateType.Relayed), $"we send to {browser}'s relay: {ours}");
            Assert.That(ours.Remote.Address, Is.EqualTo(NatLabNetwork.ServerAddress.ToString()), ours.ToString());
            SelectedPair.AssertLocalMapping(ours, Lab.Carol);
            Assert.That(theirs.Local.Type, Is.EqualTo("relay"), $"{browser} sends from its relay: {theirs}");
            Assert.That(theirs.Local.RelayProtocol, Is.EqualTo("tcp"), $"{browser} reaches coturn over TCP: {theirs}");
        });
    }

    /// <summary>
    /// Runs the scenario between our peer on <paramref name="ourHost"/> (the answerer) and the browser on
    /// <paramref name="browserHost"/> (the offerer); returns both selected pairs once both sides passed.
    /// </summary>
    private async Task<(IceCandidatePairInfo Ours, ReportedCandidatePair Theirs)> RunAsync(
        LabHost ourHost, IReadOnlyList<RtcIceServer> ourServers, LabHost browserHost, IReadOnlyList<RtcIceServer> browserServers)
    {
        var stack = LabBrowser.In(ForeignStack.Get(browser), browserHost, browserServers);
        var options = new ScenarioPeerOptions
        {
            Mib = Mib,
            Timeout = Timeout,
            LoggerFactory = Log,
            IceServers = ourServers,
            AddressFilter = a => !IPAddress.IsLoopback(a), // the host's lab address: its namespace has no other
            CandidateFilter = _ => true, // every address signalled exists only inside the lab's namespaces
            Ice = new IceAgentOptions { SocketFactory = ourHost.Sockets, TcpConnector = ourHost.Sockets },
        };
        await using var ours = await ScenarioPeer.StartAsync(ScenarioRole.Answer, options);
        await using var theirs = ForeignPeerProcess.Start(stack, ScenarioRole.Offer, Mib, Timeout, TestContext.Progress.WriteLine);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = await InteropPairing.RunAsync(theirs, ours, Timeout);
        TestContext.Out.WriteLine($"{browser} on {browserHost} <-> p2p on {ourHost}: {started.Elapsed.TotalMilliseconds:0} ms (browser launch included)");

        Assert.That(result.Ok, Is.True, result.Describe());
        var ourPair = SelectedPair.Of(ours.SelectedCandidatePair, "p2p on " + ourHost.Name);
        var theirPair = result.OffererReport.SelectedPair;
        Assert.That(theirPair, Is.Not.Null, $"{browser} reported no selected pair: {result.OffererReport}");
        TestContext.Out.WriteLine($"{browser} on {browserHost.Name}: {theirPair}");
        return (ourPair, theirPair!);
    }
}
