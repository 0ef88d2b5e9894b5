using Microsoft.Extensions.Logging;
using P2p.Testing;
using P2p.Testing.Interop;
using P2p.Testing.NatLab;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Mdns;

namespace P2p.Interop.Tests;

/// <summary>
/// Firefox ESR on default settings (<c>media.peerconnection.ice.obfuscate_host_addresses</c> on) signals mDNS
/// <c>&lt;uuid&gt;.local</c> names. It runs the interop scenario (test/interop-peers/PROTOCOL.md) in one network
/// namespace, our ScenarioPeer in another, the two on one veth link: we resolve its name to connect.
/// </summary>
[TestFixture]
[NonParallelizable]
public class MdnsFirefoxTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Test]
    [CancelAfter(180_000)]
    public async Task Firefox_on_default_settings_signals_mdns_names_and_a_dotnet_peer_on_its_lan_resolves_them_and_runs_the_scenario(CancellationToken ct)
    {
        using var lan = NamespaceLan.Create("mff");
        var log = new TestLog(LogLevel.Debug);
        var firefox = new ForeignStack(
            "firefox", "ip", ["netns", "exec", lan.B.Name, "env", "P2P_BROWSER_DEFAULT_SETTINGS=1", "node", "test/interop-peers/js/browser-peer.js", "--browser", "firefox"]);
        var options = new ScenarioPeerOptions
        {
            Mib = 1,
            Timeout = Timeout,
            LoggerFactory = log,
            Ice = new IceAgentOptions
            {
                SocketFactory = new NamespaceSocketFactory(lan.A),
                Mdns = new MdnsOptions { SocketFactory = new NamespaceMdnsSocketFactory(lan.A) },
            },
        };
        await using var ours = await ScenarioPeer.StartAsync(ScenarioRole.Answer, options, ct);
        await using var theirs = ForeignPeerProcess.Start(firefox, ScenarioRole.Offer, options.Mib, Timeout, TestContext.Progress.WriteLine);

        var result = await InteropPairing.RunAsync(theirs, ours, Timeout, ct);

        // Firefox's first check may arrive before its mDNS name resolves here: the pair is then selected with a
        // peer-reflexive remote, which becomes the signalled .local candidate once the name resolves.
        var selected = await ours.WaitForSelectedPairAsync(p => p.Remote.Address.EndsWith(".local", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        TestContext.Out.WriteLine($"selected: {selected}");
        Assert.Multiple(() =>
        {
            Assert.That(result.OffererReport.Ok, Is.True, $"{result.OffererReport}\n{theirs.Diagnostics}");
            Assert.That(result.AnswererReport.Ok, Is.True, $"{result.AnswererReport}\n{log}");
            Assert.That(selected?.Remote.Address, Does.Match(@"^[0-9a-f-]{36}\.local$"), log.ToString());
            Assert.That(selected?.RemoteEndPoint?.Address, Is.EqualTo(NamespaceLan.AddressB));
        });
    }
}
