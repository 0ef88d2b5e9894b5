using System.Net;
using P2p.Testing.NatLab;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Tests.Support;
using P2p.WebRtc.Turn;

namespace P2p.WebRtc.Tests.Ice;

/// <summary>
/// The TURN client against a real TURN server: coturn on 127.0.0.1 over UDP, TCP and TLS (self-signed). Two agents
/// with the relay policy can only meet through their relayed candidates, so a connection proves allocation,
/// authentication, permissions and the data path; the selected pair is checked to be relay↔relay.
/// </summary>
public class IceTurnServerTests : CoturnFixture
{
    [TestCase(TurnTransport.Udp)]
    [TestCase(TurnTransport.Tcp)]
    [TestCase(TurnTransport.Tls)]
    [CancelAfter(30_000)]
    public async Task Two_relay_only_agents_connect_through_coturn_and_exchange_data(TurnTransport transport)
    {
        var server = TurnEntry(transport, "test", "test");
        await using var agents = new IceTestAgents(IceRole.Controlling, IceRole.Controlled, o => RelayOnly(o, server));
        var candidates = new List<IceCandidate>();
        agents.A.LocalCandidateGathered += (_, c) => candidates.Add(c);

        await agents.ConnectAsync();

        var pair = agents.A.SelectedPair!;
        Assert.That(pair.Local.Type, Is.EqualTo(IceCandidateType.Relayed), pair.ToString());
        Assert.That(pair.Remote.Type, Is.EqualTo(IceCandidateType.Relayed), pair.ToString());
        Assert.That(candidates, Has.All.Matches<IceCandidate>(c => c.Type == IceCandidateType.Relayed && c.RelatedAddress == "0.0.0.0"), "the relay policy signals relayed candidates only, hiding the host address");

        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        agents.B.Transport.SetReceiveHandler(d => received.TrySetResult(d.ToArray()));
        byte[] payload = [23, 1, 2, 3, 4, 5]; // first byte 20–63: DTLS range, so ICE hands it to the data path
        agents.A.Transport.Send(payload);
        Assert.That(await received.Task.WaitAsync(IceTestAgents.Timeout), Is.EqualTo(payload));

        // The data path runs on channels (ChannelData), installed after the permissions.
        var allocation = agents.A.TurnAllocations.Single();
        Assert.That(allocation.InstalledPermissions, Is.EqualTo(1));
        await allocation.FirstChannelBound.WaitAsync(IceTestAgents.Timeout);
        Assert.That(allocation.BoundChannels, Is.EqualTo(1));
        var before = allocation.Counters.ViaChannel;
        agents.A.Transport.Send(payload);
        Assert.That(allocation.Counters.ViaChannel, Is.EqualTo(before + 1), "ChannelData once the channel is bound");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Refused_credentials_are_reported_and_fail_ice_promptly()
    {
        var server = TurnEntry(TurnTransport.Udp, "test", "wrong");
        await using var agent = new IceAgent(RelayOnly(IceTestAgents.Options(IceRole.Controlling), server));
        var error = new TaskCompletionSource<IceCandidateErrorEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.CandidateError += (_, e) => error.TrySetResult(e);
        var failed = IceTestAgents.WaitForStateAsync(agent, IceConnectionState.Failed);

        agent.StartGathering();

        var e = await error.Task.WaitAsync(IceTestAgents.Timeout);
        Assert.That(e.ErrorCode, Is.EqualTo(401));
        Assert.That(e.ErrorText, Does.Contain("refused the credentials of user 'test'"));
        Assert.That(e.Url, Is.EqualTo($"turn:127.0.0.1:{Server.EndPoint.Port}"));
        await failed;
        var connect = Assert.ThrowsAsync<IceConnectionFailedException>(() => agent.ConnectAsync());
        Assert.That(connect!.Message, Does.Contain("refused the credentials"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_server_that_does_not_answer_is_given_up_after_the_allocation_timeout()
    {
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)silent.Client.LocalEndPoint!).Port;
        var options = RelayOnly(IceTestAgents.Options(IceRole.Controlling), new TurnServer("127.0.0.1", port, TurnTransport.Udp, "test", "test")) with
        {
            TurnAllocationTimeout = TimeSpan.FromMilliseconds(800),
        };
        await using var agent = new IceAgent(options);
        var error = new TaskCompletionSource<IceCandidateErrorEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.CandidateError += (_, e) => error.TrySetResult(e);

        agent.StartGathering();

        var e = await error.Task.WaitAsync(IceTestAgents.Timeout);
        Assert.That(e.ErrorCode, Is.Zero);
        Assert.That(e.ErrorText, Does.Contain("gave no allocation within 0.8 s"));
        await IceTestAgents.WaitForStateAsync(agent, IceConnectionState.Failed);
    }

    private TurnServer TurnEntry(TurnTransport transport, string user, string password) => transport switch
    {
        TurnTransport.Tls => new TurnServer("localhost", Server.TlsEndPoint!.Port, transport, user, password),
        _ => new TurnServer("127.0.0.1", Server.EndPoint.Port, transport, user, password),
    };

    private IceAgentOptions RelayOnly(IceAgentOptions options, TurnServer server) => options with
    {
        TurnServers = [server],
        TransportPolicy = IceTransportPolicy.Relay,

        // coturn's self-signed test certificate, pinned by its thumbprint
        TurnCertificateValidation = (_, certificate, _, _) => certificate?.GetCertHashString() == Server.CertificateThumbprint,
    };
}
