using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using P2p.Testing;
using P2p.Testing.NatLab;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Mdns;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Testing.Network;
using P2p.WebRtc.Tests.Support;
using P2p.WebRtc.Tests.VirtualNet;

namespace P2p.WebRtc.Tests.Mdns;

/// <summary>ICE agents with mDNS names: resolving remote <c>.local</c> candidates, publishing local ones, and the failure rules around them.</summary>
[NonParallelizable] // LANs of network namespaces made concurrently have crossed once in CI (a resolver answered by another test's responder): one at a time
public class MdnsIceAgentTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Test]
    public async Task Two_agents_on_one_lan_connect_when_one_publishes_mdns_names_and_the_other_resolves_them()
    {
        MdnsLanTests.RequireNamespaces();
        using var lan = NamespaceLan.Create("mice");
        var log = new TestLog(LogLevel.Debug);

        // A hides its address behind a .local name; B (controlling) can pair with A only once it resolved the name.
        await using var a = new IceAgent(OnHost(lan.A, IceRole.Controlled, MdnsMode.ResolveAndPublish, log));
        await using var b = new IceAgent(OnHost(lan.B, IceRole.Controlling, MdnsMode.Resolve, log));
        IceTestAgents.Trickle(a, b);
        IceTestAgents.Trickle(b, a);
        IceTestAgents.GiveCredentials(a, b);
        IceTestAgents.GiveCredentials(b, a);
        a.StartGathering();
        b.StartGathering();
        await Task.WhenAll(a.ConnectAsync(), b.ConnectAsync()).WaitAsync(Timeout);
        var name = a.GetLocalCandidates().Single(c => c.Type == IceCandidateType.Host).Address;
        await WaitUntilAsync(() => b.SelectedPair?.Remote.Address == name, "B's selected pair names A's .local candidate", log);

        var selected = b.SelectedPair!;
        Assert.Multiple(() =>
        {
            Assert.That(name, Does.EndWith(".local"));
            Assert.That(MdnsNames.IsLocal(name), Is.True);
            Assert.That(a.GetLocalCandidates().Select(c => c.ToString()), Has.None.Contains(NamespaceLan.AddressA.ToString()), "A's address is never signalled");
            Assert.That(selected.Remote.Type, Is.EqualTo(IceCandidateType.Host));
            Assert.That(selected.RemoteEndPoint, Is.EqualTo(new IPEndPoint(NamespaceLan.AddressA, selected.Remote.Port)));
            Assert.That(a.SelectedPair!.Local.Address, Is.EqualTo(name));
        });
    }

    [Test]
    public async Task Ice_does_not_fail_while_a_remote_name_is_being_resolved_and_fails_once_it_does_not_resolve()
    {
        MdnsLanTests.RequireNamespaces();
        using var lan = NamespaceLan.Create("mice");
        var log = new TestLog(LogLevel.Debug);
        var options = OnHost(lan.B, IceRole.Controlling, MdnsMode.Resolve, log) with
        {
            EmptyCheckListTimeout = TimeSpan.FromMilliseconds(100),
        };
        options = options with { Mdns = options.Mdns with { ResolutionTimeout = TimeSpan.FromMilliseconds(1500) } };
        await using var agent = new IceAgent(options);
        var failed = IceTestAgents.WaitForStateAsync(agent, IceConnectionState.Failed);
        var started = Stopwatch.GetTimestamp();

        agent.SetRemoteCredentials("abcd", "0123456789012345678901");
        agent.AddRemoteCandidate($"candidate:1 1 udp 2122260223 {MdnsNames.NewRandom()} 40000 typ host generation 0");
        agent.AddRemoteEndOfCandidates();
        agent.StartGathering();
        await failed;

        var elapsed = Stopwatch.GetElapsedTime(started);
        Assert.Multiple(() =>
        {
            Assert.That(elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(1400)), "not before the resolution gave up");
            Assert.That(log.Contains(LogLevel.Information, "could not resolve"), Is.True, log.ToString());
            Assert.That(agent.GetRemoteCandidates(), Is.Empty);
        });
    }

    [Test]
    public async Task Host_names_outside_the_local_domain_are_ignored_and_logged_once()
    {
        var log = new TestLog(LogLevel.Debug);
        await using var agent = new IceAgent(IceTestAgents.Options(IceRole.Controlling) with { LoggerFactory = log });

        agent.AddRemoteCandidate("candidate:1 1 udp 2122260223 peer.example.com 40000 typ host");
        agent.AddRemoteCandidate("candidate:2 1 udp 2122260222 peer.example.com 40001 typ host");

        Assert.That(agent.GetRemoteCandidates(), Is.Empty);
        Assert.That(log.Entries.Count(e => e.Message.Contains("peer.example.com", StringComparison.Ordinal)), Is.EqualTo(1), log.ToString());
    }

    [Test]
    public async Task With_mdns_disabled_local_names_are_ignored_and_nothing_is_queried()
    {
        var log = new TestLog(LogLevel.Debug);
        await using var agent = new IceAgent(IceTestAgents.Options(IceRole.Controlling) with
        {
            LoggerFactory = log,
            Mdns = new MdnsOptions { Mode = MdnsMode.Disabled },
        });

        agent.AddRemoteCandidate($"candidate:1 1 udp 2122260223 {MdnsNames.NewRandom()} 40000 typ host");

        Assert.That(agent.GetRemoteCandidates(), Is.Empty);
        Assert.That(log.Contains(LogLevel.Information, "mDNS is disabled"), Is.True, log.ToString());
    }

    [Test]
    public async Task Publishing_agents_signal_names_and_hide_the_host_address_in_server_reflexive_candidates_and_still_connect_through_nats()
    {
        MdnsLanTests.RequireNamespaces();
        using var ns = NetworkNamespace.Create("mdns-publishing"); // the responders' and resolvers' sockets stay in here
        var mdns = new MdnsOptions { Mode = MdnsMode.ResolveAndPublish, SocketFactory = new NamespaceMdnsSocketFactory(ns) };
        await using var pair = new IceNatPair(NatBehavior.PortRestrictedCone, NatBehavior.RestrictedCone, tweak: o => o with { Mdns = mdns });

        pair.GatherAndExchange();
        pair.Run(TimeSpan.FromSeconds(30));

        var signalled = pair.Signalled(pair.A);
        var host = signalled.Single(c => c.Type == IceCandidateType.Host);
        var srflx = signalled.Single(c => c.Type == IceCandidateType.ServerReflexive);
        Assert.Multiple(() =>
        {
            Assert.That(MdnsNames.IsLocal(host.Address), Is.True, host.ToString());
            Assert.That(srflx.RelatedAddress, Is.EqualTo("0.0.0.0"));
            Assert.That(srflx.RelatedPort, Is.Zero);
            Assert.That(signalled.Select(c => c.ToString()), Has.None.Contains(pair.HostA.Address.ToString()));
            Assert.That(pair.BothConnected, Is.True, "the server-reflexive pairs work without the names");
        });
    }

    private static IceAgentOptions OnHost(NetworkNamespace ns, IceRole role, MdnsMode mode, TestLog log) =>
        IceTestAgents.Options(role) with
        {
            AddressFilter = null,
            SocketFactory = new NamespaceSocketFactory(ns),
            LoggerFactory = log,
            Mdns = new MdnsOptions { Mode = mode, SocketFactory = new NamespaceMdnsSocketFactory(ns) },
        };

    private static async Task WaitUntilAsync(Func<bool> condition, string what, TestLog log)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var deadline = Stopwatch.GetTimestamp() + (long)(Timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                Assert.Fail($"timed out waiting until {what}\n{log}");
            }

            await timer.WaitForNextTickAsync();
        }
    }
}
