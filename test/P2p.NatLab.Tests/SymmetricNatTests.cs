using P2p.WebRtc;

namespace P2p.NatLab.Tests;

/// <summary>
/// Hosts behind address-and-port-dependent ("symmetric") NATs on both sides: each new destination gets a new
/// random port, so the mapping STUN reports is useless to the peer and only a TURN relay connects them.
/// </summary>
public class SymmetricNatTests : LabTest
{
    [Test]
    [CancelAfter(30_000)]
    public async Task Behind_symmetric_nats_on_both_sides_stun_is_not_enough_and_ice_fails_promptly_with_a_clear_error()
    {
        RtcIceServer[] stun = [new(Lab.Coturn.StunUrl)];
        await using var peers = new LabPeers(
            LabPeers.On(Lab.Dave, Log, stun, LabPeers.FailFast),
            LabPeers.On(Lab.Erin, Log, stun, LabPeers.FailFast));

        var took = await peers.FailAsync(LabPeers.FailureBound);

        LabPeers.AssertIceFailed(peers.Offerer, "dave", took);
        LabPeers.AssertIceFailed(peers.Answerer, "erin", took);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Behind_symmetric_nats_on_both_sides_a_turn_relay_is_selected_and_carries_the_data()
    {
        RtcIceServer[] turn = [Lab.Coturn.IceServer(Lab.Coturn.TurnUdpUrl)];
        await using var peers = new LabPeers(LabPeers.On(Lab.Dave, Log, turn), LabPeers.On(Lab.Erin, Log, turn));

        await peers.ConnectAsync();
        await peers.ExchangeDataAsync();

        SelectedPair.AssertRelayed(SelectedPair.Of(peers.Offerer, "dave"));
        SelectedPair.AssertRelayed(SelectedPair.Of(peers.Answerer, "erin"));
    }
}
