using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Ice;

/// <summary>
/// Issue 19: a peer that holds the ICE password and sends checks from ever new source addresses makes the agent
/// learn at most <see cref="IceAgent.MaxPeerReflexiveCandidates"/> peer-reflexive candidates per generation.
/// </summary>
public class IcePeerReflexiveLimitTests
{
    [Test]
    [CancelAfter(30_000)]
    public async Task Checks_from_more_unsignalled_addresses_than_the_limit_are_dropped(CancellationToken ct)
    {
        await using var agents = new IceTestAgents(IceRole.Controlling, IceRole.Controlled);
        await agents.ConnectAsync();
        var (a, b) = (agents.A, agents.B);
        var bEndPoint = IceTestAgents.FirstLocalEndPoint(b);
        var learnedBefore = b.GetRemoteCandidates().Count(c => c.Type == IceCandidateType.PeerReflexive);

        const int extra = 8;
        var sockets = Enumerable.Range(0, IceAgent.MaxPeerReflexiveCandidates + extra).Select(_ => Bound()).ToArray();
        try
        {
            var answered = 0;
            foreach (var socket in sockets)
            {
                socket.SendTo(Check(a, b), bEndPoint);
                if (answered + learnedBefore < IceAgent.MaxPeerReflexiveCandidates)
                {
                    await AnsweredAsync(socket, ct);
                    answered++;
                }
            }

            // An address already known is still answered, and answers come in order: the checks before it were handled.
            sockets[0].SendTo(Check(a, b), bEndPoint);
            await AnsweredAsync(sockets[0], ct);

            Assert.That(b.GetRemoteCandidates().Count(c => c.Type == IceCandidateType.PeerReflexive), Is.EqualTo(IceAgent.MaxPeerReflexiveCandidates));
            Assert.That(sockets.Skip(answered).Where(s => s.Available > 0), Is.Empty, "checks from further addresses go unanswered");
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static byte[] Check(IceAgent a, IceAgent b)
    {
        var request = new StunMessageWriter(new byte[512], StunMethod.Binding, StunMessageClass.Request, StunTransactionId.NewRandom());
        request.AddString(StunAttributeType.Username, $"{b.LocalUfrag}:{a.LocalUfrag}");
        request.AddUInt32(StunAttributeType.Priority, IcePriority.Candidate(IceCandidateType.PeerReflexive, 0xFFFF));
        request.AddUInt64(StunAttributeType.IceControlling, a.TieBreaker);
        request.AddMessageIntegrity(StunCredentials.ShortTermKey(b.LocalPassword));
        request.AddFingerprint();
        return request.Written.ToArray();
    }

    /// <summary>Waits for the success response to this socket's check (B's own triggered checks are skipped).</summary>
    private static async Task AnsweredAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[512];
        while (true)
        {
            var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
            if (StunMessage.TryParse(buffer.AsSpan(0, received.ReceivedBytes), out var message) == StunParseResult.Success
                && message.Class == StunMessageClass.SuccessResponse)
            {
                return;
            }
        }
    }
}
