using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Testing.Network;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>
/// Whole peer connections (ICE, DTLS, SCTP, DCEP) through the virtual network behind two NATs, every timer on the
/// virtual clock: 16 MiB each way through a lossy, jittery, reordering and duplicating link, a link cut and restored
/// mid-transfer, and a cut that is never restored (consent expires). How the clock is driven while the DTLS handshake
/// runs on its own thread: <see cref="PeerConnectionNetPair"/>.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class PeerConnectionThroughNetworkTests
{
    private const int MessageSize = 64 * 1024;
    private const int Messages = 256; // 16 MiB

    /// <summary>About 3 % loss per direction (1.5 % on each of the two uplinks a datagram crosses), jitter, reordering and duplicates.</summary>
    private static readonly LinkConditions Lossy = new()
    {
        Delay = TimeSpan.FromMilliseconds(4),
        Jitter = TimeSpan.FromMilliseconds(3),
        Loss = 0.015,
        Reordering = 0.02,
        ReorderDelay = TimeSpan.FromMilliseconds(8),
        Duplication = 0.005,
    };

    [Test]
    public async Task A_16_MiB_transfer_each_way_survives_a_lossy_reordering_link()
    {
        var real = Stopwatch.StartNew();
        await using var pair = new PeerConnectionNetPair(seed: 101);
        await pair.ConnectAsync();
        var connectedAt = pair.Net.Now;
        pair.RouterA.Link.Conditions = pair.RouterB.Link.Conditions = Lossy; // DTLS is connected: from here, every layer below runs in virtual time
        var dropsBefore = pair.Net.Counters.Dropped(DatagramDropReason.Loss);

        var up = new Transfer(pair.Channel, pair.RemoteChannel!, seed: 1);
        var down = new Transfer(pair.RemoteChannel!, pair.Channel, seed: 2);
        var done = pair.Drive(() => up.Done && down.Done, TimeSpan.FromMinutes(5), () =>
        {
            up.Pump();
            down.Pump();
        });

        var offerer = pair.Offerer.SctpMetrics!;
        var answerer = pair.Answerer.SctpMetrics!;
        TestContext.Out.WriteLine($"connected at {connectedAt.TotalSeconds:0.###} s; 2 × 16 MiB in {(pair.Net.Now - connectedAt).TotalSeconds:0.###} s virtual, {real.Elapsed.TotalSeconds:0.###} s real; {pair.Net.Counters}");
        TestContext.Out.WriteLine($"offerer: {offerer}");
        TestContext.Out.WriteLine($"answerer: {answerer}");
        Assert.Multiple(() =>
        {
            Assert.That(done, Is.True, $"up: {up}; down: {down}");
            up.AssertComplete();
            down.AssertComplete();
            Assert.That(pair.Net.Counters.Dropped(DatagramDropReason.Loss) - dropsBefore, Is.GreaterThan(100), "the link lost datagrams");
            Assert.That(pair.Net.Counters.Duplicated, Is.Positive, "the link duplicated datagrams");
            Assert.That(offerer.DataChunksRetransmitted, Is.Positive, "the offerer repaired losses");
            Assert.That(answerer.DataChunksRetransmitted, Is.Positive, "the answerer repaired losses");
            Assert.That(offerer.FastRetransmits + answerer.FastRetransmits, Is.Positive, "most losses are repaired by fast retransmission");
            Assert.That(answerer.DuplicateTsnsReceived + offerer.DuplicateTsnsReceived, Is.Positive, "duplicates were recognised");
            Assert.That(pair.Offerer.ConnectionState, Is.EqualTo(RtcPeerConnectionState.Connected));
            Assert.That(pair.Answerer.ConnectionState, Is.EqualTo(RtcPeerConnectionState.Connected));
        });
    }

    [Test]
    public async Task A_16_MiB_transfer_each_way_between_two_symmetric_nats_goes_through_the_turn_relay_on_channels()
    {
        var real = Stopwatch.StartNew();
        await using var pair = new PeerConnectionNetPair(seed: 404, natA: NatBehavior.Symmetric, natB: NatBehavior.Symmetric, turn: true);
        await pair.ConnectAsync();
        var connectedAt = pair.Net.Now;
        var connectedAfter = real.Elapsed;
        var selected = pair.Offerer.SelectedCandidatePair!;
        var turn = pair.Turn!;

        var up = new Transfer(pair.Channel, pair.RemoteChannel!, seed: 3);
        var down = new Transfer(pair.RemoteChannel!, pair.Channel, seed: 4);
        var done = pair.Drive(() => up.Done && down.Done, TimeSpan.FromMinutes(5), () =>
        {
            up.Pump();
            down.Pump();
        });

        TestContext.Out.WriteLine($"{selected}; connected after {connectedAt.TotalSeconds:0.###} s virtual, {connectedAfter.TotalSeconds:0.###} s real; "
            + $"2 × 16 MiB in {(pair.Net.Now - connectedAt).TotalSeconds:0.###} s virtual, {(real.Elapsed - connectedAfter).TotalSeconds:0.###} s real; TURN {turn.Counters}");
        Assert.Multiple(() =>
        {
            Assert.That(done, Is.True, $"up: {up}; down: {down}");
            up.AssertComplete();
            down.AssertComplete();
            Assert.That(new[] { selected.Local.Type, selected.Remote.Type }, Does.Contain(P2p.WebRtc.Sdp.IceCandidateType.Relayed), selected.ToString());
            Assert.That(turn.Counters.ChannelDataFromClientsRelayed + turn.Counters.ChannelDataToClientsSent, Is.GreaterThan(2 * Messages),
                "the bulk of the data went over TURN channels, not Send/Data indications");
        });
    }

    [Test]
    public async Task A_link_cut_mid_transfer_and_restored_before_consent_expires_lets_the_transfer_complete()
    {
        var cutFor = TimeSpan.FromSeconds(12); // beyond ConsentDisconnectedTimeout (8 s), short of ConsentFailureTimeout (30 s)
        await using var pair = new PeerConnectionNetPair(seed: 202);
        await pair.ConnectAsync();
        pair.RouterA.Link.Conditions = pair.RouterB.Link.Conditions = Lossy with { Loss = 0.005, Duplication = 0 };

        var transfer = new Transfer(pair.Channel, pair.RemoteChannel!, seed: 3);
        TimeSpan? cutAt = null, restoredAt = null;
        var offerer = new DisconnectWatch(pair.Offerer);
        var answerer = new DisconnectWatch(pair.Answerer);
        long receivedAtCut = 0, receivedAtRestore = 0;
        long? receivedSettled = null; // once what was in flight at the cut has landed
        var done = pair.Drive(() => transfer.Done, TimeSpan.FromMinutes(5), () =>
        {
            transfer.Pump();
            var now = pair.Net.Now;
            if (cutAt is null && transfer.Received >= Messages / 4)
            {
                pair.RouterB.Link.Cut();
                cutAt = now;
                receivedAtCut = transfer.Received;
            }
            else if (cutAt is { } at && restoredAt is null)
            {
                offerer.Check();
                answerer.Check();
                if (receivedSettled is null && now - at >= TimeSpan.FromMilliseconds(100))
                {
                    receivedSettled = transfer.Received;
                }

                if (now - at >= cutFor)
                {
                    receivedAtRestore = transfer.Received;
                    pair.RouterB.Link.Restore();
                    restoredAt = now;
                }
            }
        });
        var completedAt = pair.Net.Now;

        var connectedAgain = ReportsSoon(pair.Offerer, RtcPeerConnectionState.Connected) && ReportsSoon(pair.Answerer, RtcPeerConnectionState.Connected);
        var metrics = pair.Offerer.SctpMetrics!;
        TestContext.Out.WriteLine($"cut at {cutAt?.TotalSeconds:0.###} s ({receivedAtCut} messages in), restored at {restoredAt?.TotalSeconds:0.###} s, complete at {completedAt.TotalSeconds:0.###} s; {pair.Net.Counters}");
        TestContext.Out.WriteLine($"offerer: {metrics}");
        Assert.Multiple(() =>
        {
            Assert.That(done, Is.True, transfer.ToString());
            transfer.AssertComplete();
            Assert.That(restoredAt, Is.Not.Null, "the link was cut and restored mid-transfer");
            Assert.That(receivedAtRestore, Is.EqualTo(receivedSettled), "nothing crossed the cut link");
            Assert.That(pair.Net.Counters.Dropped(DatagramDropReason.LinkCut), Is.Positive);
            Assert.That((offerer.IceDisconnected, answerer.IceDisconnected), Is.EqualTo((true, true)), "both sides' ICE saw the silence (Disconnected) during the cut");
            Assert.That((offerer.Reported, answerer.Reported), Is.EqualTo((true, true)), "both connections reported Disconnected");
            Assert.That(metrics.T3Expirations, Is.Positive, "the sender's retransmission timer backed off during the cut");
            Assert.That(connectedAgain, Is.True, $"connected again: offerer {pair.Offerer.ConnectionState}, answerer {pair.Answerer.ConnectionState}");
        });
    }

    [Test]
    public async Task A_link_cut_that_is_never_restored_fails_the_connection_when_consent_expires()
    {
        await using var pair = new PeerConnectionNetPair(seed: 303);
        await pair.ConnectAsync();
        var offerer = new DisconnectWatch(pair.Offerer);
        var answerer = new DisconnectWatch(pair.Answerer);
        var transfer = new Transfer(pair.Channel, pair.RemoteChannel!, seed: 4);
        TimeSpan? cutAt = null;
        var options = new IceAgentOptions();

        var failed = pair.Drive(
            () => pair.Offerer.IceConnectionState == IceConnectionState.Failed && pair.Answerer.IceConnectionState == IceConnectionState.Failed,
            TimeSpan.FromMinutes(2),
            () =>
            {
                transfer.Pump();
                if (cutAt is null && transfer.Received >= Messages / 4)
                {
                    pair.RouterA.Link.Cut();
                    cutAt = pair.Net.Now;
                }

                offerer.Check();
                answerer.Check();
            });
        var failedAfter = pair.Net.Now - cutAt!.Value;

        // Without advancing the clock: the connections report it, and close their channels.
        var reportedFailed = ReportsSoon(pair.Offerer, RtcPeerConnectionState.Failed) && ReportsSoon(pair.Answerer, RtcPeerConnectionState.Failed);
        SpinWait.SpinUntil(() => pair.Channel.ReadyState == RtcDataChannelState.Closed && pair.RemoteChannel!.ReadyState == RtcDataChannelState.Closed, RealTimeGuard);
        TestContext.Out.WriteLine($"cut at {cutAt?.TotalSeconds:0.###} s, both failed {failedAfter.TotalSeconds:0.###} s later; offerer: {pair.Offerer.Error?.Message}; answerer: {pair.Answerer.Error?.Message}; {pair.Net.Counters}");
        Assert.Multiple(() =>
        {
            Assert.That(failed, Is.True, $"offerer ICE {pair.Offerer.IceConnectionState}, answerer ICE {pair.Answerer.IceConnectionState}");

            // Consent expires ConsentFailureTimeout after the last response (RFC 7675 §5.1), which came at most one
            // randomized consent interval (5 s + 20 %) and a round trip before the cut.
            var latest = options.ConsentFailureTimeout + PeerConnectionNetPair.Step;
            var earliest = options.ConsentFailureTimeout - (options.ConsentInterval * 1.2) - TimeSpan.FromMilliseconds(50);
            Assert.That(failedAfter, Is.InRange(earliest, latest), "consent expired in the expected virtual time");
            Assert.That(transfer.Done, Is.False);
            Assert.That((offerer.Reported, answerer.Reported), Is.EqualTo((true, true)), "both connections reported Disconnected first");
            Assert.That(reportedFailed, Is.True, $"both connections report Failed: offerer {pair.Offerer.ConnectionState}, answerer {pair.Answerer.ConnectionState}");
            Assert.That(pair.Channel.ReadyState, Is.EqualTo(RtcDataChannelState.Closed), "the channel is closed");
            Assert.That(pair.RemoteChannel!.ReadyState, Is.EqualTo(RtcDataChannelState.Closed), "the remote channel is closed");
            Assert.That(pair.Offerer.Error, Is.TypeOf<IceConnectionFailedException>().With.Message.Contains("Consent"), "the error says why");
            Assert.That(pair.Answerer.Error, Is.TypeOf<IceConnectionFailedException>().With.Message.Contains("Consent"), "the error says why");
        });
    }

    /// <summary>The most real time to wait for a connection to report a state its ICE agent has reached.</summary>
    private static readonly TimeSpan RealTimeGuard = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether the connection reports <paramref name="state"/> within <see cref="RealTimeGuard"/> of real time, the
    /// virtual clock standing still: its state follows ICE's events, raised on the agent's own thread.
    /// </summary>
    private static bool ReportsSoon(RtcPeerConnection pc, RtcPeerConnectionState state) =>
        SpinWait.SpinUntil(() => pc.ConnectionState == state, RealTimeGuard);

    /// <summary>
    /// Checked at every step: the first time the ICE agent is Disconnected, waits (the clock standing still) until the
    /// connection reports it too.
    /// </summary>
    private sealed class DisconnectWatch(RtcPeerConnection pc)
    {
        public bool IceDisconnected { get; private set; }

        public bool Reported { get; private set; }

        public void Check()
        {
            if (!IceDisconnected && pc.IceConnectionState == IceConnectionState.Disconnected)
            {
                IceDisconnected = true;
                Reported = ReportsSoon(pc, RtcPeerConnectionState.Disconnected);
            }
        }
    }

    /// <summary>
    /// 16 MiB in 64 KiB messages from one channel to another, driven from the clock's thread: <see cref="Pump"/> keeps
    /// about 1 MiB queued; the receiver (called on the same thread) checks order, sizes and SHA-256.
    /// </summary>
    private sealed class Transfer
    {
        private const long Queued = 1 << 20;

        private readonly RtcDataChannel _from;
        private readonly int _seed;
        private readonly byte[] _buffer = new byte[MessageSize];
        private readonly IncrementalHash _sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly IncrementalHash _received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly List<string> _failures = [];
        private int _next;
        private int _received_;

        public Transfer(RtcDataChannel from, RtcDataChannel to, int seed)
        {
            _from = from;
            _seed = seed;
            to.MessageReceived += (_, e) => OnMessage(e);
        }

        public int Received => Volatile.Read(ref _received_);

        public bool Done => Received == Messages || _failures.Count > 0;

        public void Pump()
        {
            while (_next < Messages && _from.ReadyState == RtcDataChannelState.Open && _from.BufferedAmount < Queued)
            {
                new Random(_seed * 100_000 + _next).NextBytes(_buffer);
                BinaryPrimitives.WriteInt32BigEndian(_buffer, _next);
                _sent.AppendData(_buffer);
                _from.Send(_buffer);
                _next++;
            }
        }

        public void AssertComplete()
        {
            Assert.That(_failures, Is.Empty);
            Assert.That(Received, Is.EqualTo(Messages));
            Assert.That(_received.GetCurrentHash(), Is.EqualTo(_sent.GetCurrentHash()), "SHA-256 of the 16 MiB");
        }

        public override string ToString() => $"{_next} sent, {Received} received, {_from.BufferedAmount} bytes queued; {string.Join("; ", _failures)}";

        private void OnMessage(RtcDataChannelMessageEventArgs e)
        {
            var index = BinaryPrimitives.ReadInt32BigEndian(e.Data.Span);
            if (index != Received || e.Data.Length != MessageSize)
            {
                _failures.Add($"expected message {Received} of {MessageSize} bytes, got {index} of {e.Data.Length}");
                return;
            }

            _received.AppendData(e.Data.Span);
            Volatile.Write(ref _received_, _received_ + 1);
        }
    }
}
