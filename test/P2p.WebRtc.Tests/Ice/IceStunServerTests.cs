using System.Net;
using System.Net.Sockets;
using P2p.Testing.NatLab;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Ice;

/// <summary>
/// Against a real STUN server: coturn on 127.0.0.1. On loopback the server-reflexive address equals
/// the host address, so RFC 8445 §5.1.3 eliminates the candidate; the tests check the reported
/// binding result (the mapping itself) and that no redundant candidate is signalled.
/// </summary>
public class IceStunServerTests : CoturnFixture
{
    [Test]
    public async Task Stun_codec_binding_to_coturn_returns_our_address()
    {
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var id = StunTransactionId.NewRandom();
        var response = await CoturnProcess.BindingAsync(client, Server.EndPoint, id, TimeSpan.FromSeconds(5));

        Assert.That(response, Is.Not.Null);
        Assert.That(StunMessage.TryParse(response, out var m), Is.EqualTo(StunParseResult.Success));
        Assert.That(m.Class, Is.EqualTo(StunMessageClass.SuccessResponse));
        Assert.That(m.TransactionId, Is.EqualTo(id));
        Assert.That(m.HasFingerprint, Is.True, "coturn runs with --fingerprint");
        Assert.That(m.TryGetXorMappedAddress(out var mapped), Is.True);
        Assert.That(mapped, Is.EqualTo(client.Client.LocalEndPoint));
    }

    [Test]
    public async Task Gathering_reports_the_server_reflexive_mapping_and_eliminates_it_as_redundant()
    {
        var options = IceTestAgents.Options(IceRole.Controlling);
        await using var agent = new IceAgent(new IceAgentOptions
        {
            AddressFilter = options.AddressFilter,
            StunServers = [Server.EndPoint],
        });
        var result = new TaskCompletionSource<IceServerReflexiveResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var complete = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new IceEventLog(agent);
        agent.ServerReflexiveResult += (_, r) => result.TrySetResult(r);
        agent.GatheringStateChanged += (_, s) =>
        {
            if (s == IceGatheringState.Complete)
            {
                complete.TrySetResult();
            }
        };

        agent.StartGathering();
        var r = await result.Task.WaitAsync(IceTestAgents.Timeout);
        await complete.Task.WaitAsync(IceTestAgents.Timeout);

        var host = agent.LocalEndPoints.Single();
        Assert.Multiple(() =>
        {
            Assert.That(r.Server, Is.EqualTo(Server.EndPoint));
            Assert.That(r.Base, Is.EqualTo(host));
            Assert.That(r.Mapped, Is.EqualTo(host), "the server saw our loopback socket");
            Assert.That(r.Redundant, Is.True);
            Assert.That(r.Error, Is.Null);
            Assert.That(log.Candidates.Select(c => c.Type), Is.EqualTo(new[] { IceCandidateType.Host }));
        });
    }

    [Test]
    public async Task Unanswered_stun_server_ends_gathering_after_its_timeout()
    {
        int deadPort;
        using (var s = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            deadPort = ((IPEndPoint)s.Client.LocalEndPoint!).Port;
        }

        await using var agent = new IceAgent(new IceAgentOptions
        {
            AddressFilter = ip => ip.Equals(IPAddress.Loopback),
            StunServers = [new IPEndPoint(IPAddress.Loopback, deadPort)],
            InitialRto = TimeSpan.FromMilliseconds(50),
            StunServerTimeout = TimeSpan.FromMilliseconds(300),
        });
        var result = new TaskCompletionSource<IceServerReflexiveResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.ServerReflexiveResult += (_, r) => result.TrySetResult(r);
        agent.StartGathering();
        Assert.That(agent.GatheringState, Is.EqualTo(IceGatheringState.Gathering));

        var r = await result.Task.WaitAsync(IceTestAgents.Timeout);
        Assert.That(r.Mapped, Is.Null);
        Assert.That(r.Error, Does.Contain("timed out"));
        Assert.That(agent.GatheringState, Is.EqualTo(IceGatheringState.Complete));
    }
}
