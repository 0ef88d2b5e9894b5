using P2p.WebRtc.Turn;

namespace P2p.WebRtc.Tests.Ice;

/// <summary>ICE server URLs (RFC 7064, RFC 7065) and the browser-shaped <see cref="RtcIceServer"/>.</summary>
public class IceServerUrlTests
{
    [TestCase("stun:198.51.100.1", IceServerScheme.Stun, "198.51.100.1", 3478, TurnTransport.Udp)]
    [TestCase("STUN:stun.example.org:19302", IceServerScheme.Stun, "stun.example.org", 19302, TurnTransport.Udp)]
    [TestCase("stuns:198.51.100.1", IceServerScheme.Stuns, "198.51.100.1", 5349, TurnTransport.Tls)]
    [TestCase("turn:198.51.100.1", IceServerScheme.Turn, "198.51.100.1", 3478, TurnTransport.Udp)]
    [TestCase("turn:198.51.100.1:3479?transport=udp", IceServerScheme.Turn, "198.51.100.1", 3479, TurnTransport.Udp)]
    [TestCase("turn:198.51.100.1?transport=tcp", IceServerScheme.Turn, "198.51.100.1", 3478, TurnTransport.Tcp)]
    [TestCase("turns:turn.example.org", IceServerScheme.Turns, "turn.example.org", 5349, TurnTransport.Tls)]
    [TestCase("turns:turn.example.org:443?transport=tcp", IceServerScheme.Turns, "turn.example.org", 443, TurnTransport.Tls)]
    [TestCase("turn:[2001:db8::1]:3478", IceServerScheme.Turn, "2001:db8::1", 3478, TurnTransport.Udp)]
    [TestCase("stun:[2001:db8::1]", IceServerScheme.Stun, "2001:db8::1", 3478, TurnTransport.Udp)]
    public void Valid_urls_parse_into_scheme_host_port_and_transport(string url, IceServerScheme scheme, string host, int port, TurnTransport transport)
    {
        var parsed = IceServerUrl.Parse(url);

        Assert.That(parsed, Is.EqualTo(new IceServerUrl(scheme, host, port, transport)));
        Assert.That(IceServerUrl.Parse(parsed.ToString()), Is.EqualTo(parsed), "the canonical form parses back");
    }

    [TestCase("", "not an ICE server URL")]
    [TestCase("198.51.100.1:3478", "unknown scheme '198.51.100.1:'")]
    [TestCase("http://198.51.100.1", "unknown scheme 'http:'")]
    [TestCase("turn://198.51.100.1", "no '//'")]
    [TestCase("turn:", "no host")]
    [TestCase("turn:198.51.100.1:0", "bad port '0'")]
    [TestCase("turn:198.51.100.1:65536", "bad port '65536'")]
    [TestCase("turn:198.51.100.1:x", "bad port 'x'")]
    [TestCase("turn:2001:db8::1", "must be in brackets")]
    [TestCase("turn:[2001:db8::1", "unterminated IPv6 literal")]
    [TestCase("turn:[198.51.100.1]", "is not an IPv6 address")]
    [TestCase("turn:user@198.51.100.1", "credentials go in the username")]
    [TestCase("stun:198.51.100.1?transport=udp", "takes no query")]
    [TestCase("turn:198.51.100.1?transport=sctp", "unknown query 'transport=sctp'")]
    [TestCase("turns:198.51.100.1?transport=udp", "transport=udp (DTLS) is not supported")]
    public void Malformed_urls_are_refused_with_the_reason(string url, string reason)
    {
        Assert.That(() => IceServerUrl.Parse(url), Throws.TypeOf<FormatException>().With.Message.Contains(reason));
    }

    [Test]
    public void A_server_with_several_urls_gives_one_turn_server_per_turn_url_with_its_credentials()
    {
        var server = new RtcIceServer(["stun:198.51.100.1", "turn:198.51.100.1", "turns:198.51.100.1:443"], "alice", "secret");

        Assert.That(server.GetTurnServers(), Is.EqualTo(new[]
        {
            new TurnServer("198.51.100.1", 3478, TurnTransport.Udp, "alice", "secret"),
            new TurnServer("198.51.100.1", 443, TurnTransport.Tls, "alice", "secret"),
        }));
        Assert.That(server.ToString(), Does.Not.Contain("secret"), "the credential is never shown");
        Assert.That(server.GetTurnServers()[0].ToString(), Is.EqualTo("turn:198.51.100.1:3478"));
    }

    [Test]
    public void Turn_urls_need_a_username_and_a_credential_stun_urls_do_not()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new RtcIceServer("turn:198.51.100.1").ParseUrls(), Throws.ArgumentException.With.Message.Contains("needs a username and a credential"));
            Assert.That(() => new RtcIceServer("turn:198.51.100.1", "alice").ParseUrls(), Throws.ArgumentException);
            Assert.That(() => new RtcIceServer([]).ParseUrls(), Throws.TypeOf<FormatException>().With.Message.Contains("at least one URL"));
            Assert.That(new RtcIceServer("stun:198.51.100.1").ParseUrls(), Has.Count.EqualTo(1));
        });
    }
}
