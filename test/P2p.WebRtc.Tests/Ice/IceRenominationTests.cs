using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Ice;

/// <summary>
/// A controlling browser may move to another pair after one was selected — e.g. one learned as
/// peer-reflexive from a second local address — by nominating it. The controlled agent must check
/// that pair, select it, and accept data from its address.
/// </summary>
public class IceRenominationTests
{
    [Test]
    [CancelAfter(20_000)]
    public async Task The_controlled_agent_follows_a_nomination_after_selection(CancellationToken ct)
    {
        await using var agents = new IceTestAgents(IceRole.Controlling, IceRole.Controlled);
        await agents.ConnectAsync();
        var (a, b) = (agents.A, agents.B);
        var bEndPoint = IceTestAgents.FirstLocalEndPoint(b);

        // "A" from another address: a raw socket speaking A's credentials.
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        other.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var otherEndPoint = (IPEndPoint)other.LocalEndPoint!;
        var switched = new TaskCompletionSource<IceCandidatePairInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.SelectedPairChanged += (_, pair) =>
        {
            if (pair.Remote.Port == otherEndPoint.Port)
            {
                switched.TrySetResult(pair);
            }
        };
        var delivered = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Transport.SetReceiveHandler(d => delivered.TrySetResult(d.ToArray()));

        // 1. A nominating check from the new address.
        var buffer = new byte[512];
        var request = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.Request, StunTransactionId.NewRandom());
        request.AddString(StunAttributeType.Username, $"{b.LocalUfrag}:{a.LocalUfrag}");
        request.AddUInt32(StunAttributeType.Priority, IcePriority.Candidate(P2p.WebRtc.Sdp.IceCandidateType.PeerReflexive, 0xFFFF));
        request.AddUInt64(StunAttributeType.IceControlling, a.TieBreaker);
        request.AddEmpty(StunAttributeType.UseCandidate);
        request.AddMessageIntegrity(StunCredentials.ShortTermKey(b.LocalPassword));
        request.AddFingerprint();
        other.SendTo(request.Written, bEndPoint);

        // 2. B answers it and checks the new pair itself (a triggered check); we answer as A would.
        var answeredOurs = false;
        var checkedBack = false;
        while (!(answeredOurs && checkedBack))
        {
            var received = await other.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
            if (!IsStun(buffer.AsSpan(0, received.ReceivedBytes), out var cls, out var id))
            {
                continue;
            }

            if (cls == StunMessageClass.SuccessResponse)
            {
                answeredOurs = true;
            }
            else if (cls == StunMessageClass.Request)
            {
                checkedBack = true;
                var response = new StunMessageWriter(new byte[256], StunMethod.Binding, StunMessageClass.SuccessResponse, id);
                response.AddXorAddress((IPEndPoint)received.RemoteEndPoint);
                response.AddMessageIntegrity(StunCredentials.ShortTermKey(a.LocalPassword));
                response.AddFingerprint();
                other.SendTo(response.Written, received.RemoteEndPoint);
            }
        }

        // 3. B selects the nominated pair and accepts data from its address.
        var selected = await switched.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.That(selected.Remote.Type, Is.EqualTo(P2p.WebRtc.Sdp.IceCandidateType.PeerReflexive));
        other.SendTo(new byte[] { 23, 1, 2, 3 }, bEndPoint); // a DTLS-looking datagram
        Assert.That(await delivered.Task.WaitAsync(TimeSpan.FromSeconds(10), ct), Is.EqualTo(new byte[] { 23, 1, 2, 3 }));
    }

    private static bool IsStun(ReadOnlySpan<byte> datagram, out StunMessageClass cls, out StunTransactionId id)
    {
        cls = default;
        id = default;
        if (StunMessage.TryParse(datagram, out var message) != StunParseResult.Success)
        {
            return false;
        }

        cls = message.Class;
        id = message.TransactionId;
        return true;
    }
}
