using P2p.Testing.NatLab;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.PeerConnection;

/// <summary>
/// Whole peer connections (DTLS, SCTP, data channels) through a real TURN server (coturn on 127.0.0.1), configured
/// the browser's way: <see cref="RtcIceServer"/> URLs with a username and credential.
/// </summary>
public class PeerConnectionThroughTurnTests : CoturnFixture
{
    [TestCase("turn:127.0.0.1:{0}")]
    [TestCase("turn:127.0.0.1:{0}?transport=tcp")]
    [TestCase("turns:localhost:{1}")]
    [CancelAfter(60_000)]
    public async Task Relay_only_peers_carry_four_mebibytes_through_the_turn_server(string url)
    {
        var configuration = RelayOnly(string.Format(System.Globalization.CultureInfo.InvariantCulture, url, Server.EndPoint.Port, Server.TlsEndPoint!.Port));
        await using var pair = new PeerPair(configuration, configuration);
        var channel = pair.Offerer.CreateDataChannel("bulk");
        var remote = PeerPair.NextRemoteChannelAsync(pair.Answerer);
        await pair.ConnectAsync();
        var atAnswerer = await remote.WaitAsync(PeerPair.Timeout);
        await PeerPair.WaitOpenAsync(channel);

        foreach (var pc in new[] { pair.Offerer, pair.Answerer })
        {
            var selected = pc.SelectedCandidatePair!;
            Assert.That((selected.Local.Type, selected.Remote.Type), Is.EqualTo((IceCandidateType.Relayed, IceCandidateType.Relayed)), selected.ToString());
        }

        const int total = 4 << 20;
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        long received = 0;
        atAnswerer.MessageReceived += (_, e) =>
        {
            if (Interlocked.Add(ref received, e.Data.Length) >= total)
            {
                done.TrySetResult(received);
            }
        };
        var chunk = new byte[64 << 10];
        for (var sent = 0; sent < total; sent += chunk.Length)
        {
            await channel.SendAsync(chunk);
        }

        Assert.That(await done.Task.WaitAsync(TimeSpan.FromSeconds(45)), Is.EqualTo(total));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_relay_only_peer_reaches_a_peer_that_offers_host_candidates()
    {
        await using var pair = new PeerPair(RelayOnly($"turn:127.0.0.1:{Server.EndPoint.Port}"), new RtcConfiguration());
        var channel = pair.Offerer.CreateDataChannel("c");
        // the answerer takes the channel: one nobody handles is refused (reset), which may close it before it is seen open
        var remote = PeerPair.NextRemoteChannelAsync(pair.Answerer);
        await pair.ConnectAsync();
        await PeerPair.WaitOpenAsync(channel);
        Assert.That((await remote.WaitAsync(PeerPair.Timeout)).Label, Is.EqualTo("c"));

        var selected = pair.Offerer.SelectedCandidatePair!;
        Assert.That(selected.Local.Type, Is.EqualTo(IceCandidateType.Relayed), selected.ToString());
        Assert.That(selected.Remote.Type, Is.EqualTo(IceCandidateType.Host), selected.ToString());
    }

    [Test]
    public void Bad_ice_server_configuration_is_refused_when_the_connection_is_created()
    {
        Assert.Multiple(() =>
        {
            Assert.That(
                () => new RtcPeerConnection(new RtcConfiguration { IceServers = [new RtcIceServer("turn:127.0.0.1")] }),
                Throws.ArgumentException.With.Message.Contains("needs a username and a credential"));
            Assert.That(
                () => new RtcPeerConnection(new RtcConfiguration { IceServers = [new RtcIceServer("turn://127.0.0.1", "u", "p")] }),
                Throws.TypeOf<FormatException>().With.Message.Contains("no '//'"));
            Assert.That(
                () => new RtcPeerConnection(new RtcConfiguration { IceTransportPolicy = IceTransportPolicy.Relay, IceServers = [new RtcIceServer("stun:127.0.0.1")] }),
                Throws.ArgumentException.With.Message.Contains("Relay needs a turn: or turns: server"));
        });
    }

    private RtcConfiguration RelayOnly(string url) => new()
    {
        IceServers = [new RtcIceServer(url, "test", "test")],
        IceTransportPolicy = IceTransportPolicy.Relay,
        Ice = new IceAgentOptions
        {
            // coturn's self-signed test certificate, pinned by its thumbprint
            TurnCertificateValidation = (_, certificate, _, _) => certificate?.GetCertHashString() == Server.CertificateThumbprint,
        },
    };
}
