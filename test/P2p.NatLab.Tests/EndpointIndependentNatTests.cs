using P2p.WebRtc;

namespace P2p.NatLab.Tests;

/// <summary>Hosts on two LANs behind endpoint-independent ("cone") NATs: STUN alone gets them through.</summary>
public class EndpointIndependentNatTests : LabTest
{
    [Test]
    [CancelAfter(30_000)]
    public async Task Behind_endpoint_independent_nats_on_both_sides_stun_suffices_and_each_side_sends_to_the_other_ones_public_mapping()
    {
        RtcIceServer[] stun = [new(Lab.Coturn.StunUrl)];
        await using var peers = new LabPeers(LabPeers.On(Lab.Alice, Log, stun), LabPeers.On(Lab.Carol, Log, stun));

        await peers.ConnectAsync();
        await peers.ExchangeDataAsync();

        SelectedPair.AssertMappingToMapping(SelectedPair.Of(peers.Offerer, "alice"), Lab.Alice, Lab.Carol);
        SelectedPair.AssertMappingToMapping(SelectedPair.Of(peers.Answerer, "carol"), Lab.Carol, Lab.Alice);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Behind_endpoint_independent_nats_without_a_stun_server_ice_fails_because_neither_private_address_is_reachable()
    {
        // The control experiment of the case above: host candidates only, and 203.0.113.x behind another NAT is unroutable.
        await using var peers = new LabPeers(LabPeers.On(Lab.Alice, Log, ice: LabPeers.FailFast), LabPeers.On(Lab.Carol, Log, ice: LabPeers.FailFast));

        var took = await peers.FailAsync(LabPeers.FailureBound);

        LabPeers.AssertIceFailed(peers.Offerer, "alice", took);
        LabPeers.AssertIceFailed(peers.Answerer, "carol", took);
    }
}
