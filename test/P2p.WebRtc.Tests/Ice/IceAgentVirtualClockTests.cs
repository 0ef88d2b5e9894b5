using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Stun;
using Microsoft.Extensions.Time.Testing;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Ice;

/// <summary>Timer-driven behaviour on a virtual clock: a silent "peer" socket counts the checks that reach it.</summary>
public class IceAgentVirtualClockTests
{
    [Test]
    public async Task Checks_are_retransmitted_with_doubling_rto_then_the_pair_fails()
    {
        var clock = new FakeTimeProvider();
        await using var agent = new IceAgent(new IceAgentOptions
        {
            AddressFilter = ip => ip.Equals(IPAddress.Loopback),
            TimeProvider = clock,
            CheckInterval = TimeSpan.FromMilliseconds(50),
            InitialRto = TimeSpan.FromMilliseconds(500),
            MaxRto = TimeSpan.FromSeconds(3),
            MaxCheckTransmissions = 5,
        });
        using var silentPeer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var peerPort = ((IPEndPoint)silentPeer.Client.LocalEndPoint!).Port;
        agent.StartGathering();
        agent.SetRemoteCredentials("peer", "peerpasswordpeerpassword");
        agent.AddRemoteCandidate($"candidate:1 1 udp 2130706431 127.0.0.1 {peerPort} typ host");

        // The first check goes out at once; retransmissions at +500, +1000, +2000, +3000 (capped) ms.
        Assert.That(await TryReceiveCheckAsync(silentPeer, TimeSpan.FromSeconds(5)), Is.True, "first check");
        var expectedAt = new[] { 500, 1500, 3500, 6500 };
        var elapsed = 0;
        foreach (var at in expectedAt)
        {
            clock.Advance(TimeSpan.FromMilliseconds(at - elapsed - 10));
            elapsed = at - 10;
            Assert.That(await TryReceiveCheckAsync(silentPeer, TimeSpan.FromMilliseconds(100)), Is.False, $"nothing before {at} ms");
            clock.Advance(TimeSpan.FromMilliseconds(10));
            elapsed = at;
            Assert.That(await TryReceiveCheckAsync(silentPeer, TimeSpan.FromSeconds(5)), Is.True, $"check at {at} ms");
        }

        Assert.That(agent.GetCandidatePairs().Single().State, Is.EqualTo(IceCandidatePairState.InProgress));
        clock.Advance(TimeSpan.FromMilliseconds(3000)); // the last RTO passes without an answer
        Assert.That(agent.GetCandidatePairs().Single().State, Is.EqualTo(IceCandidatePairState.Failed));
        Assert.That(await TryReceiveCheckAsync(silentPeer, TimeSpan.FromMilliseconds(100)), Is.False);
        Assert.That(agent.GetStatistics().ChecksSent, Is.EqualTo(5));
    }

    [Test]
    public async Task Checks_are_paced_by_ta()
    {
        var clock = new FakeTimeProvider();
        await using var agent = new IceAgent(new IceAgentOptions
        {
            AddressFilter = ip => ip.Equals(IPAddress.Loopback),
            TimeProvider = clock,
            CheckInterval = TimeSpan.FromMilliseconds(50),
            InitialRto = TimeSpan.FromSeconds(10),
        });
        var peers = Enumerable.Range(0, 3).Select(_ => new UdpClient(new IPEndPoint(IPAddress.Loopback, 0))).ToArray();
        try
        {
            agent.StartGathering();
            agent.SetRemoteCredentials("peer", "peerpasswordpeerpassword");
            for (var i = 0; i < peers.Length; i++)
            {
                var port = ((IPEndPoint)peers[i].Client.LocalEndPoint!).Port;
                agent.AddRemoteCandidate($"candidate:{i} 1 udp {2130706431 - i} 127.0.0.1 {port} typ host");
            }

            // One check per Ta (RFC 8445 §6.1.4.2), highest priority first.
            for (var i = 0; i < peers.Length; i++)
            {
                Assert.That(await TryReceiveCheckAsync(peers[i], TimeSpan.FromSeconds(5)), Is.True, $"check {i}");
                if (i + 1 < peers.Length)
                {
                    Assert.That(await TryReceiveCheckAsync(peers[i + 1], TimeSpan.FromMilliseconds(100)), Is.False, $"check {i + 1} waits for Ta");
                    clock.Advance(TimeSpan.FromMilliseconds(50));
                }
            }

            Assert.That(agent.GetStatistics().ChecksSent, Is.EqualTo(3));
        }
        finally
        {
            foreach (var p in peers)
            {
                p.Dispose();
            }
        }
    }

    private static async Task<bool> TryReceiveCheckAsync(UdpClient client, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var r = await client.ReceiveAsync(cts.Token);
            return StunMessage.TryParse(r.Buffer, out var m) == StunParseResult.Success && m.Class == StunMessageClass.Request
                && m.GetString(StunAttributeType.Username)!.StartsWith("peer:", StringComparison.Ordinal);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
