using System.Net;
using P2p.Testing;
using P2p.Testing.NatLab;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Mdns;
using P2p.WebRtc.Tests.PeerConnection;

namespace P2p.WebRtc.Tests.Mdns;

/// <summary>Two of our peer connections on one LAN (two namespaces, one veth link), both hiding their addresses behind mDNS names.</summary>
[NonParallelizable] // LANs of network namespaces made concurrently have crossed once in CI (a resolver answered by another test's responder): one at a time
public class MdnsPeerConnectionTests
{
    [Test]
    public async Task Peer_connections_that_both_publish_mdns_names_connect_and_no_description_or_candidate_carries_an_address()
    {
        MdnsLanTests.RequireNamespaces();
        using var lan = NamespaceLan.Create("mpc");
        var log = new TestLog();
        var signalled = new List<string>();
        RtcIceCandidateInit? Record(RtcIceCandidateInit? c)
        {
            lock (signalled)
            {
                signalled.Add(c?.Candidate ?? string.Empty);
            }

            return c;
        }

        await using var pair = new PeerPair(
            Publishing(lan.A),
            Publishing(lan.B),
            log,
            toAnswerer: Record,
            toOfferer: Record,
            loopbackOnly: false);
        var channel = pair.Offerer.CreateDataChannel("chat");
        var remote = PeerPair.NextRemoteChannelAsync(pair.Answerer);

        await pair.ConnectAsync();
        await PeerPair.WaitOpenAsync(channel);
        var theirs = await remote.WaitAsync(PeerPair.Timeout);
        var received = PeerPair.Collect(theirs);
        channel.Send("over names");
        var message = await received.ReadAsync().AsTask().WaitAsync(PeerPair.Timeout);

        var texts = signalled.Concat([pair.Offerer.LocalDescription!.Sdp, pair.Answerer.LocalDescription!.Sdp]).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(message.Text, Is.EqualTo("over names"));
            Assert.That(texts, Has.None.Contains(NamespaceLan.AddressA.ToString()).And.None.Contains(NamespaceLan.AddressB.ToString()), log.ToString());
            Assert.That(pair.Offerer.SelectedCandidatePair!.Local.Address, Does.EndWith(".local"));
            Assert.That(pair.Offerer.SelectedCandidatePair!.RemoteEndPoint?.Address, Is.EqualTo(NamespaceLan.AddressB));
        });
    }

    private static RtcConfiguration Publishing(NetworkNamespace ns) => new()
    {
        Ice = new IceAgentOptions
        {
            SocketFactory = new NamespaceSocketFactory(ns),
            Mdns = new MdnsOptions { Mode = MdnsMode.ResolveAndPublish, SocketFactory = new NamespaceMdnsSocketFactory(ns) },
        },
    };
}
