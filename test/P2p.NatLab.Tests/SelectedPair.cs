using P2p.Testing.NatLab;
using P2p.WebRtc;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;

namespace P2p.NatLab.Tests;

/// <summary>What the selected candidate pair of a connection must look like in each lab case.</summary>
internal static class SelectedPair
{
    /// <summary>The connection's selected pair; fails the test when there is none.</summary>
    public static IceCandidatePairInfo Of(RtcPeerConnection pc, string who) => Of(pc.SelectedCandidatePair, who);

    /// <summary>A selected pair that must be there (e.g. a <c>ScenarioPeer</c>'s); fails the test when it is null.</summary>
    public static IceCandidatePairInfo Of(IceCandidatePairInfo? pair, string who)
    {
        Assert.That(pair, Is.Not.Null, $"{who} has no selected candidate pair");
        TestContext.Out.WriteLine($"{who}: {pair}");
        return pair!;
    }

    /// <summary>Whether either end of the pair is a TURN relay.</summary>
    public static bool IsRelayed(IceCandidatePairInfo pair) =>
        pair.Local.Type == IceCandidateType.Relayed || pair.Remote.Type == IceCandidateType.Relayed;

    /// <summary>Host to host: both ends are the two hosts' own addresses.</summary>
    public static void AssertHostToHost(IceCandidatePairInfo pair, LabHost local, LabHost remote)
    {
        Assert.Multiple(() =>
        {
            Assert.That(pair.Local.Type, Is.EqualTo(IceCandidateType.Host), pair.ToString());
            Assert.That(pair.Local.Address, Is.EqualTo(local.Address.ToString()), pair.ToString());
            Assert.That(pair.Remote.Type, Is.EqualTo(IceCandidateType.Host), pair.ToString());
            Assert.That(pair.Remote.Address, Is.EqualTo(remote.Address.ToString()), pair.ToString());
        });
    }

    /// <summary>
    /// Through endpoint-independent NATs without a relay, public mapping to public mapping. A valid pair's local end
    /// is the candidate equal to the address the peer saw (RFC 8445 §7.2.5.3.2): this side's server-reflexive
    /// candidate, because an endpoint-independent NAT shows the peer the very mapping it showed the STUN server. The
    /// remote end is the peer's mapping on its router's WAN address: the server-reflexive candidate it signalled, or
    /// the same address learned as peer-reflexive when its check overtook that candidate.
    /// </summary>
    public static void AssertMappingToMapping(IceCandidatePairInfo pair, LabHost local, LabHost remote)
    {
        Assert.Multiple(() =>
        {
            AssertLocalMapping(pair, local);
            Assert.That(pair.Remote.Type, Is.AnyOf(IceCandidateType.ServerReflexive, IceCandidateType.PeerReflexive), pair.ToString());
            Assert.That(pair.Remote.Address, Is.EqualTo(remote.Lan.WanAddress.ToString()), pair.ToString());
        });
    }

    /// <summary>The pair's local end is <paramref name="local"/>'s server-reflexive candidate: its mapping on its router's WAN address.</summary>
    public static void AssertLocalMapping(IceCandidatePairInfo pair, LabHost local)
    {
        Assert.That(pair.Local.Type, Is.EqualTo(IceCandidateType.ServerReflexive), pair.ToString());
        Assert.That(pair.Local.Address, Is.EqualTo(local.Lan.WanAddress.ToString()), pair.ToString());
    }

    /// <summary>
    /// A direct path, through whatever NAT there is but not through a relay: each end is the address the other side
    /// sees of that host, its own address without NAT or its router's WAN address behind one.
    /// </summary>
    public static void AssertDirect(IceCandidatePairInfo pair, LabHost local, LabHost remote)
    {
        Assert.Multiple(() =>
        {
            Assert.That(IsRelayed(pair), Is.False, pair.ToString());
            Assert.That(pair.Local.Address, Is.EqualTo(PublicAddress(local)), $"the local end is {local.Name}'s public address: {pair}");
            Assert.That(pair.Remote.Address, Is.EqualTo(PublicAddress(remote)), $"the remote end is {remote.Name}'s public address: {pair}");
        });
    }

    private static string PublicAddress(LabHost host) => (host.Lan.Nat == NatType.None ? host.Address : host.Lan.WanAddress).ToString();

    /// <summary>Through coturn: at least one end of the pair is a relayed address on the lab's TURN server.</summary>
    public static void AssertRelayed(IceCandidatePairInfo pair)
    {
        Assert.That(IsRelayed(pair), Is.True, $"no relay in the selected pair {pair}");
        var relay = pair.Local.Type == IceCandidateType.Relayed ? pair.Local : pair.Remote;
        Assert.That(relay.Address, Is.EqualTo(NatLabNetwork.ServerAddress.ToString()), pair.ToString());
    }
}
