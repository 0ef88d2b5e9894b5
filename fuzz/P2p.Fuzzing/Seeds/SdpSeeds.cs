using System.Text;
using P2p.WebRtc.Sdp;

namespace P2p.Fuzzing.Seeds;

/// <summary>Data-only descriptions written by our SDP writer: the current dialect and the legacy one (aiortc ≤ 1.4).</summary>
internal static class SdpSeeds
{
    public static IEnumerable<Seed> All()
    {
        yield return new("offer-modern", Encoding.UTF8.GetBytes(Describe(MediaDescription.CreateDataChannel(), "actpass").ToString()));
        yield return new("answer-legacy", Encoding.UTF8.GetBytes(Describe(MediaDescription.CreateLegacyDataChannel(5001), "active").ToString()));
    }

    private static SessionDescription Describe(MediaDescription media, string setup)
    {
        var sdp = new SessionDescription(new SdpOrigin("-", 4611731400430051336, 2, "IN", "IP4", "127.0.0.1"));
        sdp.Attributes.Add(new SdpAttribute("group", "BUNDLE 0"));
        sdp.Attributes.Add(new SdpAttribute("ice-options", "trickle"));
        media.Connection = new SdpConnection("IN", "IP4", "0.0.0.0");
        media.SetValue("mid", "0");
        media.SetValue("ice-ufrag", "Fz9q");
        media.SetValue("ice-pwd", "K3pWbXz0vGqUuJrA7sYhN2Ld");
        media.SetFingerprints([new SdpFingerprint("sha-256", Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray())]);
        media.SetValue("setup", setup);
        media.AddCandidate(IceCandidate.Parse("candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host"));
        media.AddCandidate(IceCandidate.Parse("candidate:2 1 udp 1694498815 203.0.113.5 50001 typ srflx raddr 127.0.0.1 rport 50000"));
        media.SetFlag("end-of-candidates", true);
        sdp.Media.Add(media);
        return sdp;
    }
}
