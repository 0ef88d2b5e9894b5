using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Net;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Ice;

[Parallelizable(ParallelScope.All)]
public class IceAgentDataTests
{
    private const int Count = 2000;

    [Test]
    public async Task Datagrams_flow_both_ways_intact()
    {
        await using var agents = new IceTestAgents(IceRole.Controlling, IceRole.Controlled);
        var atA = new Receiver(Count);
        var atB = new Receiver(Count);
        agents.A.Transport.SetReceiveHandler(atA.Handle);
        agents.B.Transport.SetReceiveHandler(atB.Handle);
        await agents.ConnectAsync();

        var sendA = Task.Run(() => SendAll(agents.A.Transport, 0x11));
        var sendB = Task.Run(() => SendAll(agents.B.Transport, 0x22));
        await Task.WhenAll(sendA, sendB);
        await Task.WhenAll(atA.All, atB.All).WaitAsync(IceTestAgents.Timeout);

        Assert.Multiple(() =>
        {
            Assert.That(atA.Corrupt, Is.Zero);
            Assert.That(atB.Corrupt, Is.Zero);
            Assert.That(atA.Tags, Is.EquivalentTo(new[] { (byte)0x22 }));
            Assert.That(atB.Tags, Is.EquivalentTo(new[] { (byte)0x11 }));
            Assert.That(agents.A.GetStatistics().DatagramsSent, Is.EqualTo(Count));
            Assert.That(agents.B.GetStatistics().DatagramsReceived, Is.GreaterThanOrEqualTo(Count));
        });
    }

    [Test]
    public async Task Transport_before_connecting_refuses_to_send_and_rejects_oversized_datagrams()
    {
        await using var agent = new IceAgent(IceTestAgents.Options(IceRole.Controlling));
        Assert.That(agent.Transport.MaxDatagramSize, Is.EqualTo(1452));
        Assert.Throws<InvalidOperationException>(() => agent.Transport.Send(new byte[] { 23, 1, 2 }));
        Assert.Throws<ArgumentException>(() => agent.Transport.Send(new byte[1453]));
    }

    [Test]
    public async Task Garbage_is_dropped_without_disturbing_the_connection()
    {
        await using var agents = new IceTestAgents(IceRole.Controlling, IceRole.Controlled);
        var atA = new Receiver(Count);
        agents.A.Transport.SetReceiveHandler(atA.Handle);
        await agents.ConnectAsync();
        var target = agents.A.LocalEndPoints.Single();
        var statsBefore = agents.A.GetStatistics();

        using var attacker = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var random = new Random(42);
        var garbage = new List<byte[]>();
        for (var i = 0; i < 200; i++)
        {
            var b = new byte[random.Next(0, 300)];
            random.NextBytes(b);
            garbage.Add(b);
        }

        var valid = BuildRequest(agents.A.LocalUfrag + ":" + agents.B.LocalUfrag, StunCredentials.ShortTermKey(agents.A.LocalPassword), fingerprint: true);
        garbage.Add(valid[..30]); // truncated STUN
        garbage.Add(BuildRequest(agents.A.LocalUfrag + ":x", StunCredentials.ShortTermKey("not-the-password-at-all"), fingerprint: true)); // bad integrity
        var badFingerprint = (byte[])valid.Clone();
        badFingerprint[^1] ^= 0xFF;
        garbage.Add(badFingerprint);
        garbage.Add([22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]); // DTLS-looking, from an unknown address
        var fakeResponse = new byte[64];
        var w = new StunMessageWriter(fakeResponse, StunMethod.Binding, StunMessageClass.SuccessResponse, StunTransactionId.NewRandom());
        w.AddXorAddress(new IPEndPoint(IPAddress.Loopback, 1));
        w.AddFingerprint();
        garbage.Add(fakeResponse[..w.Length]); // a response to nothing

        foreach (var g in garbage)
        {
            await attacker.SendAsync(g, target);
        }

        // The 401 to the bad-integrity request proves the garbage before it was processed (same socket, in order).
        var reply = await ReceiveStunAsync(attacker, StunMessageClass.ErrorResponse);
        Assert.That(reply.Code, Is.EqualTo(StunErrorCodes.Unauthenticated));

        await Task.Run(() => SendAll(agents.B.Transport, 0x33));
        await atA.All.WaitAsync(IceTestAgents.Timeout);
        var stats = agents.A.GetStatistics();
        Assert.Multiple(() =>
        {
            Assert.That(agents.A.ConnectionState, Is.AnyOf(IceConnectionState.Connected, IceConnectionState.Completed));
            Assert.That(atA.Corrupt, Is.Zero);
            Assert.That(atA.Tags, Is.EquivalentTo(new[] { (byte)0x33 }));
            Assert.That(stats.StunDropped, Is.GreaterThan(statsBefore.StunDropped + 3));
            Assert.That(stats.DatagramsDropped, Is.GreaterThan(statsBefore.DatagramsDropped));
            Assert.That(agents.A.GetRemoteCandidates(), Has.Count.EqualTo(1), "garbage taught no candidate");
        });
    }

    [Test]
    public async Task Data_from_a_peer_that_sent_an_authenticated_check_is_delivered_before_our_own_check_succeeds()
    {
        // A browser starts DTLS as soon as our response to its check arrives; our check of the pair
        // (answered by nobody here) has not succeeded then. The ClientHello must not be dropped.
        await using var agent = new IceAgent(IceTestAgents.Options(IceRole.Controlled));
        var delivered = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.Transport.SetReceiveHandler(d => delivered.TrySetResult(d.ToArray()));
        agent.StartGathering();
        var target = agent.LocalEndPoints.Single();
        using var stranger = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        byte[] dtlsLike = [22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0];

        // From an address that never sent a check: dropped. Its later reply proves it was processed.
        await stranger.SendAsync(dtlsLike, target);
        await stranger.SendAsync(BuildRequest("someone:peer", [1, 2, 3], fingerprint: true), target);
        Assert.That((await ReceiveStunAsync(stranger, StunMessageClass.ErrorResponse)).Code, Is.EqualTo(StunErrorCodes.Unauthenticated));
        Assert.That(delivered.Task.IsCompleted, Is.False, "data from an unknown address was delivered");

        await peer.SendAsync(BuildRequest(agent.LocalUfrag + ":peer", StunCredentials.ShortTermKey(agent.LocalPassword), fingerprint: true), target);
        await ReceiveStunAsync(peer, StunMessageClass.SuccessResponse);
        await peer.SendAsync(dtlsLike, target);

        Assert.That(await delivered.Task.WaitAsync(IceTestAgents.Timeout), Is.EqualTo(dtlsLike));
        Assert.That(agent.ConnectionState, Is.Not.AnyOf(IceConnectionState.Connected, IceConnectionState.Completed), "no pair is valid yet");
    }

    [Test]
    public async Task Authenticated_requests_get_the_right_answers()
    {
        await using var agent = new IceAgent(IceTestAgents.Options(IceRole.Controlling));
        agent.StartGathering();
        var target = agent.LocalEndPoints.Single();
        var key = StunCredentials.ShortTermKey(agent.LocalPassword);
        using var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var peerEndPoint = (IPEndPoint)peer.Client.LocalEndPoint!;

        // A good check: success with our address, signed with the agent's password.
        await peer.SendAsync(BuildRequest(agent.LocalUfrag + ":peer", key, fingerprint: true), target);
        var ok = await ReceiveStunAsync(peer, StunMessageClass.SuccessResponse);
        Assert.That(ok.Mapped, Is.EqualTo(peerEndPoint));
        Assert.That(ok.SignedWith(key), Is.True);

        // Unknown comprehension-required attribute: 420 listing it (RFC 8489 §6.3.1).
        await peer.SendAsync(BuildRequest(agent.LocalUfrag + ":peer", key, fingerprint: true, unknownAttribute: 0x7F01), target);
        var unknown = await ReceiveStunAsync(peer, StunMessageClass.ErrorResponse);
        Assert.That(unknown.Code, Is.EqualTo(StunErrorCodes.UnknownAttribute));
        Assert.That(unknown.Unknown, Is.EqualTo(new ushort[] { 0x7F01 }));

        // Wrong ufrag: 401.
        await peer.SendAsync(BuildRequest("someone:peer", key, fingerprint: true), target);
        Assert.That((await ReceiveStunAsync(peer, StunMessageClass.ErrorResponse)).Code, Is.EqualTo(StunErrorCodes.Unauthenticated));

        // Role conflict: we are controlling with a tie-breaker larger than theirs → 487 (RFC 8445 §7.3.1.1).
        await peer.SendAsync(BuildRequest(agent.LocalUfrag + ":peer", key, fingerprint: true, controllingTieBreaker: 0), target);
        Assert.That((await ReceiveStunAsync(peer, StunMessageClass.ErrorResponse)).Code, Is.EqualTo(StunErrorCodes.RoleConflict));
        Assert.That(agent.Role, Is.EqualTo(IceRole.Controlling));

        // ... with a larger one, we switch to controlled and answer.
        await peer.SendAsync(BuildRequest(agent.LocalUfrag + ":peer", key, fingerprint: true, controllingTieBreaker: ulong.MaxValue), target);
        Assert.That((await ReceiveStunAsync(peer, StunMessageClass.SuccessResponse)).Mapped, Is.EqualTo(peerEndPoint));
        Assert.That(agent.Role, Is.EqualTo(IceRole.Controlled));
    }

    [Test]
    public async Task Dispose_stops_every_thread_and_socket()
    {
        var agents = new IceTestAgents(IceRole.Controlling, IceRole.Controlled);
        await agents.ConnectAsync();
        var threads = agents.A.ReceiveThreads.Concat(agents.B.ReceiveThreads).ToArray();
        var endPoints = agents.A.LocalEndPoints.ToArray();
        var closed = new TaskCompletionSource<DatagramTransportClosedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        agents.A.Transport.Closed += (_, e) => closed.TrySetResult(e);
        Assert.That(threads, Has.Length.EqualTo(2));
        Assert.That(threads.All(t => t.IsAlive), Is.True);

        await agents.DisposeAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(threads.Any(t => t.IsAlive), Is.False);
            Assert.That(agents.A.ConnectionState, Is.EqualTo(IceConnectionState.Closed));
            Assert.That(agents.A.Transport.IsClosed, Is.True);
            Assert.That((await closed.Task.WaitAsync(IceTestAgents.Timeout)).Error, Is.Null);
            Assert.Throws<ObjectDisposedException>(() => agents.A.Transport.Send(new byte[] { 23 }));
            Assert.Throws<ObjectDisposedException>(() => agents.A.AddRemoteEndOfCandidates());
        });

        // The port is free again.
        using var rebind = new UdpClient(endPoints[0]);
        Assert.That(((IPEndPoint)rebind.Client.LocalEndPoint!).Port, Is.EqualTo(endPoints[0].Port));
    }

    [Test]
    public async Task Consent_freshness_detects_a_vanished_peer()
    {
        await using var agents = new IceTestAgents(IceRole.Controlling, IceRole.Controlled, o => new IceAgentOptions
        {
            Role = o.Role,
            AddressFilter = o.AddressFilter,
            CheckInterval = o.CheckInterval,
            InitialRto = o.InitialRto,
            ConsentInterval = TimeSpan.FromMilliseconds(50),
            ConsentDisconnectedTimeout = TimeSpan.FromMilliseconds(600),
            ConsentFailureTimeout = TimeSpan.FromMilliseconds(1500),
        });
        var log = new IceEventLog(agents.A);
        await agents.ConnectAsync();
        var closed = new TaskCompletionSource<DatagramTransportClosedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        agents.A.Transport.Closed += (_, e) => closed.TrySetResult(e);

        // Consent keeps a live peer connected well past the failure timeout.
        var responses = 0;
        var manyResponses = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        agents.A.ConsentResponseReceived += () =>
        {
            if (++responses == 40)
            {
                manyResponses.TrySetResult();
            }
        };
        await manyResponses.Task.WaitAsync(IceTestAgents.Timeout); // ≈2 s of consent, longer than the failure timeout
        Assert.That(agents.A.ConnectionState, Is.AnyOf(IceConnectionState.Connected, IceConnectionState.Completed));
        Assert.That(log.States, Does.Not.Contain(IceConnectionState.Disconnected));
        var disconnected = IceTestAgents.WaitForStateAsync(agents.A, IceConnectionState.Disconnected);
        var failed = IceTestAgents.WaitForStateAsync(agents.A, IceConnectionState.Failed);

        await agents.B.DisposeAsync();
        await disconnected;
        await failed;
        var reason = await closed.Task.WaitAsync(IceTestAgents.Timeout);

        Assert.That(reason.Error, Is.InstanceOf<IceConnectionFailedException>());
        var states = log.States.ToList();
        Assert.That(states.IndexOf(IceConnectionState.Disconnected), Is.LessThan(states.IndexOf(IceConnectionState.Failed)));
        Assert.Throws<ObjectDisposedException>(() => agents.A.Transport.Send(new byte[] { 23 }));
    }

    [Test]
    public async Task Timer_once_connected_and_idle_waits_for_consent_instead_of_ticking_every_ta()
    {
        // CheckInterval (Ta) is 10 ms here: a timer that kept ticking would run ~30 times in the window below.
        await using var agents = new IceTestAgents(IceRole.Controlling, IceRole.Controlled);
        await agents.ConnectAsync();
        var deadline = DateTime.UtcNow + IceTestAgents.Timeout;
        while (!(agents.A.TimerIdle && agents.B.TimerIdle))
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the timers never went idle after the pair was selected");
            await Task.Delay(20);
        }

        var ticksA = agents.A.TimerTicks;
        var ticksB = agents.B.TimerTicks;
        await Task.Delay(300); // well under the 4–6 s consent interval

        Assert.Multiple(() =>
        {
            Assert.That(agents.A.TimerTicks - ticksA, Is.LessThanOrEqualTo(1));
            Assert.That(agents.B.TimerTicks - ticksB, Is.LessThanOrEqualTo(1));
            Assert.That(agents.A.ConnectionState, Is.AnyOf(IceConnectionState.Connected, IceConnectionState.Completed));
        });
    }

    private static void SendAll(IDatagramTransport transport, byte tag)
    {
        var buffer = new byte[1200];
        for (var i = 0; i < Count; i++)
        {
            Fill(buffer, tag, i);
            transport.Send(buffer.AsSpan(0, 100 + (i % 1100)));
        }
    }

    private static void Fill(Span<byte> buffer, byte tag, int seq)
    {
        buffer[0] = 23; // DTLS application_data content type: 20–63 per RFC 7983
        buffer[1] = tag;
        BinaryPrimitives.WriteInt32BigEndian(buffer[2..], seq);
        for (var j = 6; j < buffer.Length; j++)
        {
            buffer[j] = (byte)(seq * 31 + j);
        }
    }

    private static byte[] BuildRequest(string username, byte[] key, bool fingerprint, ushort unknownAttribute = 0, ulong? controllingTieBreaker = null)
    {
        var buffer = new byte[256];
        var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.Request, StunTransactionId.NewRandom());
        w.AddString(StunAttributeType.Username, username);
        w.AddUInt32(StunAttributeType.Priority, IcePriority.Candidate(P2p.WebRtc.Sdp.IceCandidateType.PeerReflexive, 1));
        if (controllingTieBreaker is { } tb)
        {
            w.AddUInt64(StunAttributeType.IceControlling, tb);
        }
        else
        {
            w.AddUInt64(StunAttributeType.IceControlled, 1);
        }

        if (unknownAttribute != 0)
        {
            w.AddAttribute(unknownAttribute, [1, 2, 3, 4]);
        }

        w.AddAttribute((ushort)StunAttributeType.GoogNetworkInfo, [0, 1, 0, 50]); // Chromium's, comprehension-optional
        w.AddMessageIntegrity(key);
        if (fingerprint)
        {
            w.AddFingerprint();
        }

        return buffer[..w.Length];
    }

    private sealed record StunReply(int Code, IPEndPoint? Mapped, ushort[] Unknown, byte[] Raw)
    {
        public bool SignedWith(byte[] key) => StunMessage.TryParse(Raw, out var m) == StunParseResult.Success && m.VerifyMessageIntegrity(key);
    }

    private static async Task<StunReply> ReceiveStunAsync(UdpClient client, StunMessageClass expected)
    {
        using var cts = new CancellationTokenSource(IceTestAgents.Timeout);
        while (true)
        {
            var r = await client.ReceiveAsync(cts.Token);
            var reply = Decode(r.Buffer, expected);
            if (reply is not null)
            {
                return reply;
            }
        }
    }

    private static StunReply? Decode(byte[] bytes, StunMessageClass expected)
    {
        if (StunMessage.TryParse(bytes, out var m) != StunParseResult.Success || m.Class != expected)
        {
            return null;
        }

        m.TryGetErrorCode(out var code, out _);
        m.TryGetXorMappedAddress(out var mapped);
        Span<ushort> unknown = stackalloc ushort[8];
        var n = m.GetUnknownAttributes(unknown);
        return new StunReply(code, mapped, n > 0 ? unknown[..n].ToArray() : [], bytes);
    }

    /// <summary>Checks each datagram's content and completes when every sequence number arrived.</summary>
    private sealed class Receiver(int count)
    {
        private readonly ConcurrentDictionary<int, bool> _seen = new();
        private readonly ConcurrentDictionary<byte, bool> _tags = new();
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _corrupt;

        public Task All => _all.Task;

        public int Corrupt => _corrupt;

        public IEnumerable<byte> Tags => _tags.Keys;

        public void Handle(ReadOnlySpan<byte> datagram)
        {
            if (datagram.Length < 6)
            {
                Interlocked.Increment(ref _corrupt);
                return;
            }

            var seq = BinaryPrimitives.ReadInt32BigEndian(datagram[2..]);
            Span<byte> expected = stackalloc byte[datagram.Length];
            Fill(expected, datagram[1], seq);
            if (seq < 0 || seq >= count || datagram.Length != 100 + (seq % 1100) || !datagram.SequenceEqual(expected))
            {
                Interlocked.Increment(ref _corrupt);
                return;
            }

            _tags[datagram[1]] = true;
            if (_seen.TryAdd(seq, true) && _seen.Count == count)
            {
                _all.TrySetResult();
            }
        }
    }
}
