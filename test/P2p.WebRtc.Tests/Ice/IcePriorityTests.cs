using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;

namespace P2p.WebRtc.Tests.Ice;

public class IcePriorityTests
{
    [Test]
    public void Candidate_priority_follows_rfc_8445Formula()
    {
        // Chromium's 127.0.0.1 host candidate: 2122194687 = 126<<24 | 32286<<8 | 255.
        Assert.That(IcePriority.Candidate(IceCandidateType.Host, 32286), Is.EqualTo(2122194687u));
        Assert.That(IcePriority.Candidate(IceCandidateType.PeerReflexive, 65535), Is.EqualTo((110u << 24) | (65535u << 8) | 255u));
        Assert.That(IcePriority.Candidate(IceCandidateType.ServerReflexive, 0, 2), Is.EqualTo((100u << 24) | 254u));
        Assert.That(IcePriority.Candidate(IceCandidateType.Relayed, 1), Is.EqualTo(256u + 255u));
    }

    [Test]
    public void Pair_priority_follows_rfc_8445Formula()
    {
        Assert.That(IcePriority.Pair(10, 20), Is.EqualTo((10UL << 32) + 40UL));
        Assert.That(IcePriority.Pair(20, 10), Is.EqualTo((10UL << 32) + 40UL + 1UL));
        Assert.That(IcePriority.Pair(int.MaxValue, int.MaxValue), Is.EqualTo(((ulong)int.MaxValue << 32) + (2UL * int.MaxValue)));
    }

    [Test]
    public void Credentials_are_random_and_valid()
    {
        var ufrags = Enumerable.Range(0, 50).Select(_ => IceCredentials.NewUfrag()).ToHashSet();
        Assert.That(ufrags, Has.Count.EqualTo(50));
        Assert.That(ufrags.All(IceCredentials.IsValidUfrag), Is.True);
        Assert.That(IceCredentials.IsValidPassword(IceCredentials.NewPassword()), Is.True);
        Assert.That(IceCredentials.IsValidUfrag("abc"), Is.False);
        Assert.That(IceCredentials.IsValidUfrag("ab c"), Is.False);
        Assert.That(IceCredentials.IsValidPassword("short"), Is.False);
    }

    [Test]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => _ = new IceAgent(new IceAgentOptions { LocalUfrag = "x" }));
        Assert.Throws<ArgumentException>(() => _ = new IceAgent(new IceAgentOptions { LocalPassword = "too-short" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new IceAgent(new IceAgentOptions { CheckInterval = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new IceAgent(new IceAgentOptions { MaxCheckTransmissions = 0 }));
    }

    [Test]
    public async Task Given_credentials_are_used_and_candidates_round_trip_through_sdp()
    {
        await using var agent = new IceAgent(new IceAgentOptions
        {
            LocalUfrag = "abcd",
            LocalPassword = "0123456789012345678901",
            AddressFilter = ip => ip.Equals(System.Net.IPAddress.Loopback),
        });
        agent.StartGathering();
        Assert.That(agent.LocalUfrag, Is.EqualTo("abcd"));
        var c = agent.GetLocalCandidates().Single();
        Assert.That(IceCandidate.Parse(c.ToString()).ToString(), Is.EqualTo(c.ToString()));
        Assert.That(c.Priority >> 24, Is.EqualTo(126u));
        Assert.That(c.Address, Is.EqualTo("127.0.0.1"));
    }

    [Test]
    public void Default_address_selection_excludes_link_local_and_falls_back_to_loopback_only()
    {
        var addresses = IceAgent.SelectAddresses(new P2p.WebRtc.Net.UdpDatagramSocketFactory().GetLocalAddresses(), null);
        Assert.That(addresses, Is.Not.Empty);
        Assert.That(addresses.Any(a => a.IsIPv6LinkLocal), Is.False);
        var nonLoopback = addresses.Where(a => !System.Net.IPAddress.IsLoopback(a)).ToList();
        Assert.That(nonLoopback.Count == 0 || nonLoopback.Count == addresses.Count, Is.True, "loopback only when nothing else");
    }
}
