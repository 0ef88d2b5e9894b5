using FsCheck;
using FsCheck.Fluent;
using P2p.WebRtc.Sdp;

namespace P2p.WebRtc.Tests.Sdp;

public class IceCandidateTests
{
    [TestCase("candidate:1060778898 1 udp 2122194687 127.0.0.1 38234 typ host generation 0 network-id 3 network-cost 50")]
    [TestCase("candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 192.0.2.2 rport 40008 generation 0 ufrag xBrP network-id 1")]
    [TestCase("candidate:3 1 udp 1853824767 198.51.100.1 5000 typ prflx raddr 0.0.0.0 rport 0")]
    [TestCase("candidate:4 1 udp 41885439 198.51.100.9 49170 typ relay raddr 203.0.113.7 rport 61665 generation 0")]
    [TestCase("candidate:1 1 tcp 1518280447 192.0.2.2 9 typ host tcptype active generation 0 network-id 1")]
    [TestCase("candidate:2 1 UDP 2113937151 7c9d2e1a-1111-2222-3333-444455556666.local 50000 typ host generation 0")]
    public void Candidate_round_trips(string text)
    {
        var c = IceCandidate.Parse(text);
        Assert.That(c.ToString(), Is.EqualTo(text));
        Assert.That(IceCandidate.Parse("a=" + text).ToString(), Is.EqualTo(text));
    }

    [Test]
    public void Candidate_fields()
    {
        var c = IceCandidate.Parse("a=candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 192.0.2.2 rport 40008 generation 0 ufrag xBrP network-id 1\r\n");
        Assert.Multiple(() =>
        {
            Assert.That(c.Foundation, Is.EqualTo("842163049"));
            Assert.That(c.Component, Is.EqualTo(1));
            Assert.That(c.IsUdp, Is.True);
            Assert.That(c.Priority, Is.EqualTo(1677729535u));
            Assert.That(c.EndPoint!.ToString(), Is.EqualTo("203.0.113.7:61665"));
            Assert.That(c.Type, Is.EqualTo(IceCandidateType.ServerReflexive));
            Assert.That(c.RelatedAddress, Is.EqualTo("192.0.2.2"));
            Assert.That(c.RelatedPort, Is.EqualTo(40008));
            Assert.That(c.Ufrag, Is.EqualTo("xBrP"));
            Assert.That(c.Extensions.Select(e => e.Key), Is.EqualTo(new[] { "generation", "ufrag", "network-id" }));
        });
    }

    [Test]
    public void Host_name_candidate_has_no_IP_address()
    {
        var c = IceCandidate.Parse("candidate:2 1 udp 2113937151 abc.local 50000 typ host");
        Assert.That(c.IPAddress, Is.Null);
        Assert.That(c.EndPoint, Is.Null);
    }

    [TestCase("")]
    [TestCase("candidate:")]
    [TestCase("1 1 udp 1 127.0.0.1 1 typ host")]
    [TestCase("candidate:1 1 udp 1 127.0.0.1 1 typ")]
    [TestCase("candidate:1 0 udp 1 127.0.0.1 1 typ host")]
    [TestCase("candidate:1 257 udp 1 127.0.0.1 1 typ host")]
    [TestCase("candidate:1 1 udp 4294967296 127.0.0.1 1 typ host")]
    [TestCase("candidate:1 1 udp -1 127.0.0.1 1 typ host")]
    [TestCase("candidate:1 1 udp 1 127.0.0.1 65536 typ host")]
    [TestCase("candidate:1 1 udp 1 127.0.0.1 1 type host")]
    [TestCase("candidate:1 1 udp 1 127.0.0.1 1 typ magic")]
    [TestCase("candidate:1 1 udp 1 127.0.0.1 1 typ host generation")]
    [TestCase("candidate:1 1 udp 1 127.0.0.1 1 typ srflx raddr 1.2.3.4 rport x")]
    [TestCase("candidate:1  1 udp 1 127.0.0.1 1 typ host")]
    [TestCase("candidate:123456789012345678901234567890123 1 udp 1 127.0.0.1 1 typ host")]
    public void Malformed_candidate_throws(string text)
    {
        Assert.Throws<SdpParseException>(() => IceCandidate.Parse(text));
        Assert.That(IceCandidate.TryParse(text, out _), Is.False);
    }

    [Test]
    public void Generated_candidates_round_trip()
    {
        var token = Gen.Elements("a", "b", "x1", "Zz9", "network-id", "k+/");
        var gen =
            from foundation in Gen.Elements("1", "2524299438", "abc+/", "x")
            from component in Gen.Choose(1, 256)
            from priority in Gen.Choose(0, int.MaxValue)
            from address in Gen.Elements("127.0.0.1", "::1", "192.0.2.2", "fd00::2", "x.local")
            from port in Gen.Choose(0, 65535)
            from type in Gen.Elements(IceCandidateType.Host, IceCandidateType.ServerReflexive, IceCandidateType.PeerReflexive, IceCandidateType.Relayed)
            from hasRel in Gen.Elements(true, false)
            from rport in Gen.Choose(0, 65535)
            from ext in Gen.ListOf(Gen.Zip(token, token), 3)
            select new IceCandidate(foundation, component, "udp", (uint)priority * 2u, address, port, type)
            {
                RelatedAddress = hasRel ? "10.0.0.1" : null,
                RelatedPort = hasRel ? rport : null,
                Extensions = ext.Select(t => new KeyValuePair<string, string>(t.Item1, t.Item2)).ToArray(),
            };

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Arb.From(gen), c =>
        {
            var back = IceCandidate.Parse(c.ToString());
            return back.ToString() == c.ToString()
                && back.Foundation == c.Foundation && back.Component == c.Component && back.Priority == c.Priority
                && back.Address == c.Address && back.Port == c.Port && back.Type == c.Type
                && back.RelatedAddress == c.RelatedAddress && back.RelatedPort == c.RelatedPort
                && back.Extensions.SequenceEqual(c.Extensions);
        }));
    }
}
