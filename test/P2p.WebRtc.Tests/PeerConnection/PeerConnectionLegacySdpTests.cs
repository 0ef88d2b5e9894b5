using System.Text.RegularExpressions;
using P2p.WebRtc.DataChannels;

namespace P2p.WebRtc.Tests.PeerConnection;

/// <summary>
/// The legacy data channel SDP (draft-ietf-mmusic-sctp-sdp-05: <c>m=application 9 DTLS/SCTP 5000</c>
/// with <c>a=sctpmap</c>), which aiortc ≤ 1.4 and older browsers offer: we accept it and answer in
/// the same dialect, as Chromium does.
/// </summary>
public class PeerConnectionLegacySdpTests
{
    [Test]
    [CancelAfter(30_000)]
    public async Task A_legacy_offer_is_answered_in_the_legacy_dialect_and_the_channel_carries_data(CancellationToken ct)
    {
        // The offerer's SCTP port is 5001: the answerer learns it from the sctpmap line alone.
        await using var pair = new PeerPair(offerer: new RtcConfiguration { SctpPort = 5001 });
        var channel = pair.Offerer.CreateDataChannel("legacy");
        var announced = PeerPair.NextRemoteChannelAsync(pair.Answerer);
        var connected = Task.WhenAll(
            PeerPair.WaitForStateAsync(pair.Offerer, RtcPeerConnectionState.Connected),
            PeerPair.WaitForStateAsync(pair.Answerer, RtcPeerConnectionState.Connected));

        var offer = await pair.Offerer.CreateOfferAsync(ct);
        await pair.Offerer.SetLocalDescriptionAsync(offer, ct);
        var legacyOffer = new RtcSessionDescription(RtcSdpType.Offer, ToLegacyDialect(offer.Sdp, sctpPort: 5001));
        await pair.Answerer.SetRemoteDescriptionAsync(legacyOffer, ct);
        var answer = await pair.Answerer.CreateAnswerAsync(ct);

        Assert.Multiple(() =>
        {
            Assert.That(answer.Sdp, Does.Contain("m=application 9 DTLS/SCTP 5000\r\n"));
            Assert.That(answer.Sdp, Does.Contain("a=sctpmap:5000 webrtc-datachannel 65535\r\n"));
            Assert.That(answer.Sdp, Does.Not.Contain("a=sctp-port"));
            Assert.That(answer.Sdp, Does.Not.Contain("UDP/DTLS/SCTP"));
            Assert.That(pair.Answerer.RemoteMaxMessageSize, Is.EqualTo(65536), "no a=max-message-size: 64 KiB (RFC 8841 §6.1)");
        });

        await pair.Answerer.SetLocalDescriptionAsync(answer, ct);
        await pair.Offerer.SetRemoteDescriptionAsync(answer, ct);
        await connected.WaitAsync(PeerPair.Timeout, ct);
        var remote = await announced.WaitAsync(PeerPair.Timeout, ct);
        await PeerPair.WaitOpenAsync(channel);
        var inbox = PeerPair.Collect(remote);
        channel.Send("over the legacy dialect");
        Assert.That((await inbox.ReadAsync(ct).AsTask().WaitAsync(PeerPair.Timeout, ct)).Text, Is.EqualTo("over the legacy dialect"));
        Assert.That(pair.Answerer.LocalDescription!.Sdp, Does.Contain("a=sctpmap:5000 webrtc-datachannel"), "the applied answer keeps the dialect");
    }

    [Test]
    public async Task Our_offers_stay_modern()
    {
        await using var pc = new RtcPeerConnection(PeerPair.Loopback());
        pc.CreateDataChannel("x");
        var offer = await pc.CreateOfferAsync();
        Assert.That(offer.Sdp, Does.Contain("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n").And.Contain("a=sctp-port:5000").And.Not.Contain("sctpmap"));
    }

    /// <summary>Rewrites our offer the way a legacy endpoint writes it: DTLS/SCTP, the port as format, an sctpmap, no sctp-port or max-message-size.</summary>
    private static string ToLegacyDialect(string sdp, int sctpPort)
    {
        var legacy = sdp.Replace("m=application 9 UDP/DTLS/SCTP webrtc-datachannel", $"m=application 9 DTLS/SCTP {sctpPort}", StringComparison.Ordinal);
        legacy = Regex.Replace(legacy, @"a=sctp-port:\d+\r\n", $"a=sctpmap:{sctpPort} webrtc-datachannel 65535\r\n");
        legacy = Regex.Replace(legacy, @"a=max-message-size:\d+\r\n", string.Empty);
        Assert.That(legacy, Does.Contain("DTLS/SCTP " + sctpPort).And.Contain("a=sctpmap"));
        return legacy;
    }
}
