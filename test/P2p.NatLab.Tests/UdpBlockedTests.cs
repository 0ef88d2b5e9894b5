using P2p.WebRtc;
using P2p.WebRtc.Sdp;

namespace P2p.NatLab.Tests;

/// <summary>
/// A host on a network that forwards no UDP (frank, the hotel) and one behind an ordinary NAT (carol): frank can
/// reach the TURN server only over TCP or TLS, and every packet between them goes through his relay.
/// </summary>
public class UdpBlockedTests : LabTest
{
    [Test]
    [CancelAfter(30_000)]
    public async Task With_udp_blocked_on_one_side_turn_over_tcp_is_selected()
    {
        await ConnectThroughFranksRelayAsync(Lab.Coturn.TurnTcpUrl);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task With_udp_blocked_on_one_side_turn_over_tls_is_selected()
    {
        await ConnectThroughFranksRelayAsync(Lab.Coturn.TurnsUrl);
    }

    private async Task ConnectThroughFranksRelayAsync(string url)
    {
        RtcIceServer[] frankServers = [Lab.Coturn.IceServer(url)];
        RtcIceServer[] carolServers = [new(Lab.Coturn.StunUrl)];
        await using var peers = new LabPeers(LabPeers.On(Lab.Frank, Log, frankServers), LabPeers.On(Lab.Carol, Log, carolServers));

        await peers.ConnectAsync();
        await peers.ExchangeDataAsync();

        // Frank's only candidate that can leave his LAN is the relay he allocated over TCP (or TLS): the only server configured.
        var frank = SelectedPair.Of(peers.Offerer, "frank");
        var carol = SelectedPair.Of(peers.Answerer, "carol");
        SelectedPair.AssertRelayed(frank);
        Assert.That(frank.Local.Type, Is.EqualTo(IceCandidateType.Relayed), $"frank sends from his relay: {frank}");
        Assert.That(carol.Remote.Type, Is.EqualTo(IceCandidateType.Relayed), $"carol sends to frank's relay: {carol}");
        SelectedPair.AssertLocalMapping(carol, Lab.Carol);
    }
}
