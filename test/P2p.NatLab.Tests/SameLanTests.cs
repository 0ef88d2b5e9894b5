using P2p.WebRtc;

namespace P2p.NatLab.Tests;

/// <summary>Two hosts on one LAN behind the same NAT: their host candidates reach each other directly.</summary>
public class SameLanTests : LabTest
{
    [Test]
    [CancelAfter(30_000)]
    public async Task Two_hosts_on_one_lan_select_host_to_host_although_a_stun_server_offers_their_mappings()
    {
        RtcIceServer[] stun = [new(Lab.Coturn.StunUrl)];
        await using var peers = new LabPeers(LabPeers.On(Lab.Alice, Log, stun), LabPeers.On(Lab.Bob, Log, stun));

        await peers.ConnectAsync();
        await peers.ExchangeDataAsync();

        SelectedPair.AssertHostToHost(SelectedPair.Of(peers.Offerer, "alice"), Lab.Alice, Lab.Bob);
        SelectedPair.AssertHostToHost(SelectedPair.Of(peers.Answerer, "bob"), Lab.Bob, Lab.Alice);
    }
}
