namespace P2p.WebRtc.Tests.Sdp;

/// <summary>Chromium's real data-only offer and answer, byte for byte (CRLF), captured on this machine type
/// (/work/shared/interop/chromium/sdp-offer.txt and sdp-answer.txt).</summary>
internal static class ChromiumSdp
{
    public const string Offer =
        "v=0\r\n" +
        "o=- 2959727040625086279 2 IN IP4 127.0.0.1\r\n" +
        "s=-\r\n" +
        "t=0 0\r\n" +
        "a=group:BUNDLE 0\r\n" +
        "a=extmap-allow-mixed\r\n" +
        "a=msid-semantic: WMS\r\n" +
        "m=application 38234 UDP/DTLS/SCTP webrtc-datachannel\r\n" +
        "c=IN IP4 127.0.0.1\r\n" +
        "a=candidate:1060778898 1 udp 2122194687 127.0.0.1 38234 typ host generation 0 network-id 3 network-cost 50\r\n" +
        "a=candidate:2433199134 1 udp 2122063615 192.0.2.2 40008 typ host generation 0 network-id 1\r\n" +
        "a=candidate:304342857 1 udp 2122267903 ::1 34820 typ host generation 0 network-id 4 network-cost 50\r\n" +
        "a=candidate:2524299438 1 udp 2122134271 fd00::2 45846 typ host generation 0 network-id 2\r\n" +
        "a=ice-ufrag:xBrP\r\n" +
        "a=ice-pwd:OYYv0tjvqqLSmZa/S0QK8P3p\r\n" +
        "a=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 38:F3:70:2E:ED:ED:2D:97:38:43:17:87:25:98:9F:6D:2F:34:D4:73:68:FF:15:9E:51:64:D7:2A:0B:F7:69:C8\r\n" +
        "a=setup:actpass\r\n" +
        "a=mid:0\r\n" +
        "a=sctp-port:5000\r\n" +
        "a=max-message-size:262144\r\n";

    public const string Answer =
        "v=0\r\n" +
        "o=- 3707738155171860825 2 IN IP4 127.0.0.1\r\n" +
        "s=-\r\n" +
        "t=0 0\r\n" +
        "a=group:BUNDLE 0\r\n" +
        "a=extmap-allow-mixed\r\n" +
        "a=msid-semantic: WMS\r\n" +
        "m=application 44673 UDP/DTLS/SCTP webrtc-datachannel\r\n" +
        "c=IN IP4 127.0.0.1\r\n" +
        "a=candidate:2637123343 1 udp 2122194687 127.0.0.1 44673 typ host generation 0 network-id 3 network-cost 50\r\n" +
        "a=ice-ufrag:YSa+\r\n" +
        "a=ice-pwd:EZm85nZJvS/TJ57dT7Eu8N5U\r\n" +
        "a=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 87:E3:12:4C:E2:7C:29:D9:B1:3C:CF:C2:67:D3:71:E6:F8:7A:8D:12:AD:D6:09:D3:0A:7B:45:E0:E2:AF:3A:D3\r\n" +
        "a=setup:active\r\n" +
        "a=mid:0\r\n" +
        "a=sctp-port:5000\r\n" +
        "a=max-message-size:262144\r\n";
}
