using P2p.WebRtc.Sdp;

namespace P2p.WebRtc.Tests.Sdp;

public class SessionDescriptionTests
{
    /// <summary>A data-only offer in the legacy dialect (draft-ietf-mmusic-sctp-sdp-05), as aiortc 1.4 writes it.</summary>
    private const string LegacyOffer =
        "v=0\r\no=- 3913584717 3913584717 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=msid-semantic:WMS *\r\n"
        + "m=application 40123 DTLS/SCTP 5000\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\na=sctpmap:5000 webrtc-datachannel 65535\r\n"
        + "a=candidate:1 1 UDP 2130706431 127.0.0.1 40123 typ host\r\na=end-of-candidates\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
        + "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\na=setup:actpass\r\n";

    [Test]
    public void Legacy_data_channel_offer_is_a_data_channel_section_with_the_sctpmap_port()
    {
        var m = SessionDescription.Parse(LegacyOffer).Media[0];

        Assert.Multiple(() =>
        {
            Assert.That(m.IsDataChannel, Is.True);
            Assert.That(m.IsLegacyDataChannel, Is.True);
            Assert.That(m.SctpMapPort, Is.EqualTo(5000));
            Assert.That(m.SctpPort, Is.Null);
            Assert.That(m.DataChannelSctpPort, Is.EqualTo(5000));
            Assert.That(m.MaxMessageSize, Is.Null, "absent: the peer takes 64 KiB (RFC 8841 §6.1)");
            Assert.That(m.Candidates, Has.Count.EqualTo(1));
        });
    }

    [TestCase("m=application 9 DTLS/SCTP 5000", "a=sctpmap:5001 webrtc-datachannel 1024", TestName = "LegacySection_WhoseSctpmapNamesAnotherFormat_IsNoDataChannel")]
    [TestCase("m=application 9 DTLS/SCTP 5000", "a=sctpmap:5000 bfcp 1024", TestName = "LegacySection_WhoseSctpmapMapsAnotherProtocol_IsNoDataChannel")]
    [TestCase("m=application 9 DTLS/SCTP 5000", "a=x-other:1", TestName = "LegacySection_WithoutSctpmap_IsNoDataChannel")]
    [TestCase("m=application 9 UDP/DTLS/SCTP 5000", "a=sctpmap:5000 webrtc-datachannel 1024", TestName = "ModernProtocol_WithALegacyFormat_IsNoDataChannel")]
    public void Sections_that_only_look_legacy_are_not_data_channels(string mediaLine, string attribute)
    {
        var m = SessionDescription.Parse($"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n{mediaLine}\r\n{attribute}\r\n").Media[0];
        Assert.That(m.IsDataChannel, Is.False);
        Assert.That(m.IsLegacyDataChannel, Is.False);
    }

    [Test]
    public void Legacy_data_channel_section_is_written_as_legacy_endpoints_expect()
    {
        var m = MediaDescription.CreateLegacyDataChannel(5000);
        var sd = new SessionDescription(new SdpOrigin("-", 1, 1, "IN", "IP4", "127.0.0.1"));
        sd.Media.Add(m);

        var text = sd.ToString();

        Assert.That(text, Does.Contain("m=application 9 DTLS/SCTP 5000\r\nc=IN IP4 0.0.0.0\r\na=sctpmap:5000 webrtc-datachannel 65535\r\n"));
        Assert.That(SessionDescription.Parse(text).Media[0].IsLegacyDataChannel, Is.True);
    }

    [Test]
    public void Chromium_offer_parses()
    {
        var sd = SessionDescription.Parse(ChromiumSdp.Offer);

        Assert.Multiple(() =>
        {
            Assert.That(sd.Origin.SessionId, Is.EqualTo(2959727040625086279UL));
            Assert.That(sd.Origin.SessionVersion, Is.EqualTo(2UL));
            Assert.That(sd.BundleGroup!.Mids, Is.EqualTo(new[] { "0" }));
            Assert.That(sd.Media, Has.Count.EqualTo(1));
            var m = sd.Media[0];
            Assert.That(m.IsDataChannel, Is.True);
            Assert.That(m.Port, Is.EqualTo(38234));
            Assert.That(m.Connection, Is.EqualTo(new SdpConnection("IN", "IP4", "127.0.0.1")));
            Assert.That(m.Mid, Is.EqualTo("0"));
            Assert.That(sd.GetIceUfrag(m), Is.EqualTo("xBrP"));
            Assert.That(sd.GetIcePwd(m), Is.EqualTo("OYYv0tjvqqLSmZa/S0QK8P3p"));
            Assert.That(sd.GetIceOptions(m), Is.EqualTo(new[] { "trickle" }));
            Assert.That(sd.GetSetup(m), Is.EqualTo(SdpSetupRole.ActPass));
            var fp = sd.GetFingerprints(m).Single();
            Assert.That(fp.HashFunction, Is.EqualTo("sha-256"));
            Assert.That(fp.Value.Length, Is.EqualTo(32));
            Assert.That(fp.Value[0], Is.EqualTo(0x38));
            Assert.That(fp.Value[31], Is.EqualTo(0xC8));
            Assert.That(m.SctpPort, Is.EqualTo(5000));
            Assert.That(m.MaxMessageSize, Is.EqualTo(262144UL));
            Assert.That(m.Candidates, Has.Count.EqualTo(4));
            var c = m.Candidates[2];
            Assert.That(c.Foundation, Is.EqualTo("304342857"));
            Assert.That(c.Address, Is.EqualTo("::1"));
            Assert.That(c.IPAddress, Is.EqualTo(System.Net.IPAddress.IPv6Loopback));
            Assert.That(c.Port, Is.EqualTo(34820));
            Assert.That(c.Priority, Is.EqualTo(2122267903u));
            Assert.That(c.Type, Is.EqualTo(IceCandidateType.Host));
            Assert.That(c.GetExtension("network-cost"), Is.EqualTo("50"));
            Assert.That(c.Generation, Is.Zero);
            Assert.That(sd.Attributes.Select(a => a.Name), Does.Contain("extmap-allow-mixed").And.Contain("msid-semantic"));
        });
    }

    [Test]
    public void Chromium_answer_parses()
    {
        var sd = SessionDescription.Parse(ChromiumSdp.Answer);
        var m = sd.Media.Single();
        Assert.Multiple(() =>
        {
            Assert.That(sd.GetSetup(m), Is.EqualTo(SdpSetupRole.Active));
            Assert.That(sd.GetIceUfrag(m), Is.EqualTo("YSa+"));
            Assert.That(m.Candidates.Single().EndPoint, Is.EqualTo(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 44673)));
        });
    }

    [TestCase(ChromiumSdp.Offer)]
    [TestCase(ChromiumSdp.Answer)]
    public void Chromium_sdp_round_trips_byte_for_byte(string sdp) =>
        Assert.That(SessionDescription.Parse(sdp).ToString(), Is.EqualTo(sdp));

    [Test]
    public void Lf_only_input_parses_and_is_written_with_crlf()
    {
        var sd = SessionDescription.Parse(ChromiumSdp.Offer.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.That(sd.ToString(), Is.EqualTo(ChromiumSdp.Offer));
    }

    [Test]
    public void Session_level_attributes_apply_to_media_without_own()
    {
        const string text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" +
            "a=ice-ufrag:sess\r\na=ice-pwd:sessionpasswordsessionpw\r\na=setup:passive\r\n" +
            "a=fingerprint:sha-1 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13\r\n" +
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\n" +
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:b\r\na=ice-ufrag:own1\r\na=setup:active\r\n";
        var sd = SessionDescription.Parse(text);
        Assert.Multiple(() =>
        {
            Assert.That(sd.GetIceUfrag(sd.Media[0]), Is.EqualTo("sess"));
            Assert.That(sd.GetIceUfrag(sd.Media[1]), Is.EqualTo("own1"));
            Assert.That(sd.GetIcePwd(sd.Media[1]), Is.EqualTo("sessionpasswordsessionpw"));
            Assert.That(sd.GetSetup(sd.Media[0]), Is.EqualTo(SdpSetupRole.Passive));
            Assert.That(sd.GetSetup(sd.Media[1]), Is.EqualTo(SdpSetupRole.Active));
            Assert.That(sd.GetFingerprints(sd.Media[1]).Single().Value.Length, Is.EqualTo(20));
            Assert.That(sd.ToString(), Is.EqualTo(text));
        });
    }

    [Test]
    public void Audio_video_sections_are_kept_and_can_be_rejected()
    {
        const string text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n" +
            "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\nb=AS:30\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n" +
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sctp-port:5000\r\n";
        var sd = SessionDescription.Parse(text);
        var audio = sd.Media[0];
        Assert.Multiple(() =>
        {
            Assert.That(audio.IsDataChannel, Is.False);
            Assert.That(audio.Formats, Is.EqualTo(new[] { "111", "0" }));
            Assert.That(audio.GetValue("rtpmap"), Is.EqualTo("111 opus/48000/2"));
            Assert.That(sd.Media[1].IsDataChannel, Is.True);
            Assert.That(sd.ToString(), Is.EqualTo(text));
        });

        var rejected = audio.CreateRejected();
        Assert.Multiple(() =>
        {
            Assert.That(rejected.IsRejected, Is.True);
            Assert.That(rejected.FormatMediaLine(), Is.EqualTo("audio 0 UDP/TLS/RTP/SAVPF 111 0"));
            Assert.That(rejected.Mid, Is.EqualTo("0"));
            Assert.That(rejected.Attributes, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void Unknown_lines_and_attributes_round_trip()
    {
        const string text = "v=0\r\no=alice 1 2 IN IP6 ::1\r\ns=Session\r\ni=info\r\nc=IN IP6 ::1\r\nb=CT:100\r\nt=0 0\r\nr=7d 1h 0 25h\r\n" +
            "a=x-custom:anything goes here\r\na=flag-only\r\n" +
            "m=application 9/2 UDP/DTLS/SCTP webrtc-datachannel\r\ni=media info\r\nb=AS:10\r\na=mid:0\r\na=foo:bar:baz\r\na=end-of-candidates\r\n";
        var sd = SessionDescription.Parse(text);
        Assert.Multiple(() =>
        {
            Assert.That(sd.ToString(), Is.EqualTo(text));
            Assert.That(sd.GetValue("x-custom"), Is.EqualTo("anything goes here"));
            Assert.That(sd.Has("flag-only"), Is.True);
            Assert.That(sd.Media[0].PortCount, Is.EqualTo(2));
            Assert.That(sd.Media[0].GetValue("foo"), Is.EqualTo("bar:baz"));
            Assert.That(sd.Media[0].EndOfCandidates, Is.True);
        });
    }

    [Test]
    public void Building_an_offer_writes_browser_shaped_sdp()
    {
        var sd = new SessionDescription(new SdpOrigin("-", 42, 2, "IN", "IP4", "127.0.0.1"));
        sd.SetValue("group", new SdpGroup("BUNDLE", ["0"]).ToString());
        var m = MediaDescription.CreateDataChannel();
        m.IceUfrag = "abcd";
        m.IcePwd = "0123456789012345678901";
        m.IceOptions = ["trickle"];
        m.SetFingerprints([new SdpFingerprint("sha-256", new byte[32])]);
        m.Setup = SdpSetupRole.ActPass;
        m.Mid = "0";
        m.SctpPort = 5000;
        m.MaxMessageSize = 262144;
        m.AddCandidate(new IceCandidate("1", 1, "udp", 2130706431, "127.0.0.1", 5000, IceCandidateType.Host));
        sd.Media.Add(m);

        var text = sd.ToString();
        Assert.That(text, Does.StartWith("v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"));
        Assert.That(text, Does.Contain("a=setup:actpass\r\n").And.Contain("a=fingerprint:sha-256 00:00:").And.Contain("a=max-message-size:262144\r\n"));
        var back = SessionDescription.Parse(text);
        Assert.That(back.ToString(), Is.EqualTo(text));
        Assert.That(back.Media[0].Candidates.Single().Port, Is.EqualTo(5000));
    }

    [TestCase("", 1)]
    [TestCase("o=- 1 1 IN IP4 0.0.0.0\r\n", 1)]
    [TestCase("v=1\r\n", 1)]
    [TestCase("v=0\r\no=- x 1 IN IP4 0.0.0.0\r\n", 2)]
    [TestCase("v=0\r\no=- 1 1 IN IP4\r\n", 2)]
    [TestCase("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nt=0 0\r\n", 3)]
    [TestCase("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", 4)]
    [TestCase("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application x UDP/DTLS/SCTP webrtc-datachannel\r\n", 5)]
    [TestCase("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP\r\n", 5)]
    [TestCase("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=candidate:1 1 udp x 127.0.0.1 1 typ host\r\n", 6)]
    [TestCase("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=setup:sometimes\r\n", 6)]
    [TestCase("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=fingerprint:sha-256 00:11\r\n", 6)]
    [TestCase("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=sctp-port:99999\r\n", 6)]
    [TestCase("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=:nameless\r\n", 5)]
    [TestCase("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\ngarbage\r\n", 5)]
    [TestCase("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n", 6)]
    public void Malformed_sdp_throws_sdp_parse_exception_naming_the_line(string text, int line)
    {
        var e = Assert.Throws<SdpParseException>(() => SessionDescription.Parse(text));
        Assert.That(e!.LineNumber, Is.EqualTo(line));
        if (line > 0)
        {
            Assert.That(e.Message, Does.Contain($"line {line}"));
        }

        Assert.That(e, Is.InstanceOf<FormatException>());
        Assert.That(SessionDescription.TryParse(text, out _), Is.False);
    }
}
