using System.Collections.Concurrent;
using System.Diagnostics;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;

namespace P2p.WebRtc.Tests.PeerConnection;

/// <summary>ICE restart through <see cref="RtcPeerConnection"/> (RFC 8445 §9, JSEP) between two of ours on 127.0.0.1.</summary>
[Parallelizable(ParallelScope.All)]
public class PeerConnectionIceRestartTests
{
    [Test]
    public async Task Restart_keeps_the_data_channel_open()
    {
        await using var pair = new PeerPair();
        var (local, remote) = await ConnectWithChannelAsync(pair);
        var offererUfrag = LocalUfrag(pair.Offerer);
        var answererUfrag = LocalUfrag(pair.Answerer);
        var newChannels = 0;
        pair.Answerer.DataChannel += (_, _) => Interlocked.Increment(ref newChannels);
        var gathering = new ConcurrentQueue<IceGatheringState>();
        pair.Offerer.IceGatheringStateChanged += (_, s) => gathering.Enqueue(s);
        var candidates = new ConcurrentQueue<RtcIceCandidateInit?>();
        var endOfCandidates = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Offerer.IceCandidate += (_, e) =>
        {
            candidates.Enqueue(e.Candidate);
            if (e.Candidate is null)
            {
                endOfCandidates.TrySetResult();
            }
        };
        var states = new ConcurrentQueue<RtcPeerConnectionState>();
        pair.Offerer.ConnectionStateChanged += (_, s) => states.Enqueue(s);
        var moved = SelectedPairChangedAsync(pair.Offerer);

        var clock = Stopwatch.StartNew();
        pair.Offerer.RestartIce();
        await RenegotiateAsync(pair.Offerer, pair.Answerer);
        await moved.WaitAsync(PeerPair.Timeout);
        var restartedIn = clock.Elapsed;
        await endOfCandidates.Task.WaitAsync(PeerPair.Timeout);

        var newOffererUfrag = LocalUfrag(pair.Offerer);
        Assert.Multiple(() =>
        {
            Assert.That(newOffererUfrag, Is.Not.EqualTo(offererUfrag));
            Assert.That(LocalUfrag(pair.Answerer), Is.Not.EqualTo(answererUfrag), "the answer to a restart offer has new credentials too");
            Assert.That(gathering, Is.EqualTo(new[] { IceGatheringState.New, IceGatheringState.Gathering, IceGatheringState.Complete }));
            Assert.That(candidates.Where(c => c is not null).Select(c => c!.UsernameFragment), Is.All.EqualTo(newOffererUfrag));
            Assert.That(candidates.Last(), Is.Null, "end-of-candidates again");
            Assert.That(states, Is.Empty, "Connected throughout");
            Assert.That(pair.Offerer.ConnectionState, Is.EqualTo(RtcPeerConnectionState.Connected));
        });
        TestContext.Out.WriteLine($"RestartIce → new pair selected in {restartedIn.TotalMilliseconds:0} ms (loopback, real time)");

        await AssertMessagesFlowAsync(local, remote);
        Assert.That(Volatile.Read(ref newChannels), Is.Zero, "the same channel: no new DCEP open, no new association");
    }

    [Test]
    public async Task The_restart_offer_changes_only_the_ice_credentials()
    {
        await using var pair = new PeerPair();
        await ConnectWithChannelAsync(pair);
        var plain = SessionDescription.Parse((await pair.Offerer.CreateOfferAsync()).Sdp);
        pair.Offerer.RestartIce();
        var first = SessionDescription.Parse((await pair.Offerer.CreateOfferAsync()).Sdp);
        var second = SessionDescription.Parse((await pair.Offerer.CreateOfferAsync()).Sdp);
        var (p, r, r2) = (plain.Media[0], first.Media[0], second.Media[0]);
        Assert.Multiple(() =>
        {
            Assert.That(plain.GetIceUfrag(p), Is.EqualTo(LocalUfrag(pair.Offerer)), "no restart asked: the same credentials");
            Assert.That(first.GetIceUfrag(r), Is.Not.EqualTo(plain.GetIceUfrag(p)));
            Assert.That(first.GetIcePwd(r), Is.Not.EqualTo(plain.GetIcePwd(p)));
            Assert.That(second.GetIceUfrag(r2), Is.EqualTo(first.GetIceUfrag(r)), "until set, every offer carries the same new credentials");
            Assert.That(first.GetFingerprints(r).Select(f => f.ToString()), Is.EqualTo(plain.GetFingerprints(p).Select(f => f.ToString())));
            Assert.That(r.Setup, Is.EqualTo(p.Setup));
            Assert.That(r.SctpPort, Is.EqualTo(p.SctpPort));
            Assert.That(r.Mid, Is.EqualTo(p.Mid));
            Assert.That(r.TlsId, Is.EqualTo(p.TlsId));
        });
    }

    [Test]
    public async Task Restart_before_the_first_answer_connects_with_the_new_generation()
    {
        await using var pair = new PeerPair();
        var local = pair.Offerer.CreateDataChannel("chat");
        var announced = PeerPair.NextRemoteChannelAsync(pair.Answerer);
        var offer = await pair.Offerer.CreateOfferAsync();
        await pair.Offerer.SetLocalDescriptionAsync(offer);

        // Before any answer: restart, and negotiate the new generation only (the first offer is never sent).
        pair.Offerer.RestartIce();
        var connected = PeerPair.WaitForStateAsync(pair.Offerer, RtcPeerConnectionState.Connected);
        await RenegotiateAsync(pair.Offerer, pair.Answerer);
        await connected.WaitAsync(PeerPair.Timeout);
        var remote = await announced.WaitAsync(PeerPair.Timeout);
        await PeerPair.WaitOpenAsync(local);
        Assert.That(LocalUfrag(pair.Offerer), Is.Not.EqualTo(SessionDescription.Parse(offer.Sdp).GetIceUfrag(SessionDescription.Parse(offer.Sdp).Media[0])));
        await AssertMessagesFlowAsync(local, remote);
    }

    [Test]
    public async Task Remote_restart_is_answered_with_new_credentials()
    {
        await using var pair = new PeerPair();
        var (local, remote) = await ConnectWithChannelAsync(pair);
        var offererUfrag = LocalUfrag(pair.Offerer);
        var answererUfrag = LocalUfrag(pair.Answerer);
        var moved = SelectedPairChangedAsync(pair.Offerer);

        // The original answerer restarts and offers: the original offerer restarts as the answerer. Every trickled
        // candidate of the new generation overtakes the offer (as relays may reorder them): they wait for it.
        var gathered = EndOfCandidatesAsync(pair.Answerer);
        pair.Answerer.RestartIce();
        var offer = await pair.Answerer.CreateOfferAsync();
        await pair.Answerer.SetLocalDescriptionAsync(offer);
        await gathered.WaitAsync(PeerPair.Timeout);
        await pair.Offerer.SetRemoteDescriptionAsync(offer);
        var answer = await pair.Offerer.CreateAnswerAsync();
        await pair.Offerer.SetLocalDescriptionAsync(answer);
        await pair.Answerer.SetRemoteDescriptionAsync(answer);
        await moved.WaitAsync(PeerPair.Timeout);

        Assert.Multiple(() =>
        {
            Assert.That(LocalUfrag(pair.Answerer), Is.Not.EqualTo(answererUfrag));
            Assert.That(LocalUfrag(pair.Offerer), Is.Not.EqualTo(offererUfrag));
            Assert.That(pair.Offerer.ConnectionState, Is.EqualTo(RtcPeerConnectionState.Connected));
        });
        await AssertMessagesFlowAsync(local, remote);
    }

    [Test]
    public async Task A_re_offer_with_unchanged_credentials_does_not_restart_ice()
    {
        await using var pair = new PeerPair();
        var (local, remote) = await ConnectWithChannelAsync(pair);
        var offererUfrag = LocalUfrag(pair.Offerer);
        var answererUfrag = LocalUfrag(pair.Answerer);
        var selected = pair.Offerer.SelectedCandidatePair;

        await RenegotiateAsync(pair.Offerer, pair.Answerer);

        Assert.Multiple(() =>
        {
            Assert.That(LocalUfrag(pair.Offerer), Is.EqualTo(offererUfrag));
            Assert.That(LocalUfrag(pair.Answerer), Is.EqualTo(answererUfrag));
            Assert.That(pair.Offerer.SelectedCandidatePair, Is.EqualTo(selected));
            Assert.That(pair.Offerer.IceGatheringState, Is.EqualTo(IceGatheringState.Complete));
        });
        await AssertMessagesFlowAsync(local, remote);
    }

    [Test]
    public async Task A_re_offer_that_changes_the_fingerprint_is_refused()
    {
        await using var pair = new PeerPair();
        var (local, remote) = await ConnectWithChannelAsync(pair);
        pair.Offerer.RestartIce();
        var offer = await pair.Offerer.CreateOfferAsync();
        var other = RtcCertificate.Generate().Fingerprint.ToString();
        var forged = new RtcSessionDescription(RtcSdpType.Offer, ReplaceLine(offer.Sdp, "a=fingerprint:", "a=fingerprint:" + other));

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => pair.Answerer.SetRemoteDescriptionAsync(forged));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("fingerprint"));
            Assert.That(pair.Answerer.SignalingState, Is.EqualTo(RtcSignalingState.Stable), "left as it was");
            Assert.That(pair.Answerer.ConnectionState, Is.EqualTo(RtcPeerConnectionState.Connected));
        });
        await AssertMessagesFlowAsync(local, remote);
    }

    [Test]
    public async Task A_re_offer_that_reverses_the_dtls_roles_is_refused()
    {
        await using var pair = new PeerPair();
        await ConnectWithChannelAsync(pair);

        // The offerer is the DTLS server (the answerer answered active): a re-offer claiming active would swap them.
        var offer = await pair.Offerer.CreateOfferAsync();
        Assert.That(offer.Sdp, Does.Contain("a=setup:passive"), "a re-offer keeps the settled role (RFC 8842 §5.5)");
        var swapped = new RtcSessionDescription(RtcSdpType.Offer, ReplaceLine(offer.Sdp, "a=setup:", "a=setup:active"));

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => pair.Answerer.SetRemoteDescriptionAsync(swapped));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("setup"));
            Assert.That(pair.Answerer.SignalingState, Is.EqualTo(RtcSignalingState.Stable));
        });
    }

    [Test]
    public async Task An_answer_that_changes_the_credentials_without_a_restart_offer_is_refused()
    {
        await using var pair = new PeerPair();
        await ConnectWithChannelAsync(pair);
        var offer = await pair.Offerer.CreateOfferAsync();
        await pair.Offerer.SetLocalDescriptionAsync(offer);
        await pair.Answerer.SetRemoteDescriptionAsync(offer);
        var answer = await pair.Answerer.CreateAnswerAsync();
        var changed = new RtcSessionDescription(RtcSdpType.Answer, ReplaceLine(ReplaceLine(answer.Sdp, "a=ice-ufrag:", "a=ice-ufrag:" + IceCredentials.NewUfrag()), "a=ice-pwd:", "a=ice-pwd:" + IceCredentials.NewPassword()));

        Assert.ThrowsAsync<InvalidOperationException>(() => pair.Offerer.SetRemoteDescriptionAsync(changed));
        Assert.That(pair.Offerer.SignalingState, Is.EqualTo(RtcSignalingState.HaveLocalOffer));
    }

    [Test]
    public async Task RestartIce_before_any_offer_changes_nothing()
    {
        await using var pair = new PeerPair();
        pair.Offerer.RestartIce();
        pair.Answerer.RestartIce();
        var (local, remote) = await ConnectWithChannelAsync(pair);
        await AssertMessagesFlowAsync(local, remote);
    }

    [Test]
    public async Task Candidates_of_the_previous_generation_are_ignored_after_a_restart()
    {
        await using var pair = new PeerPair();
        var oldCandidates = new ConcurrentQueue<RtcIceCandidateInit>();
        pair.Answerer.IceCandidate += (_, e) =>
        {
            if (e.Candidate is { } c)
            {
                oldCandidates.Enqueue(c);
            }
        };
        var (local, remote) = await ConnectWithChannelAsync(pair);
        var old = oldCandidates.ToArray();
        Assert.That(old, Is.Not.Empty);
        var moved = SelectedPairChangedAsync(pair.Offerer);

        pair.Offerer.RestartIce();
        var offer = await pair.Offerer.CreateOfferAsync();
        await pair.Offerer.SetLocalDescriptionAsync(offer);
        foreach (var c in old)
        {
            await pair.Offerer.AddIceCandidateAsync(c); // late, before the answer: ignored
        }

        await pair.Answerer.SetRemoteDescriptionAsync(offer);
        var answer = await pair.Answerer.CreateAnswerAsync();
        await pair.Answerer.SetLocalDescriptionAsync(answer);
        await pair.Offerer.SetRemoteDescriptionAsync(answer);
        foreach (var c in old)
        {
            await pair.Offerer.AddIceCandidateAsync(c); // late, after the answer: ignored
        }

        await moved.WaitAsync(PeerPair.Timeout);
        Assert.That(pair.Offerer.SelectedCandidatePair!.Remote.Ufrag, Is.EqualTo(LocalUfrag(pair.Answerer)).Or.Null);
        await AssertMessagesFlowAsync(local, remote);
    }

    [Test]
    public async Task RestartIce_on_a_closed_connection_throws()
    {
        var pc = new RtcPeerConnection(PeerPair.Loopback());
        await pc.CloseAsync();
        Assert.That(pc.RestartIce, Throws.InvalidOperationException);
    }

    /// <summary>Connects the pair with a channel "chat" open on both sides.</summary>
    internal static async Task<(RtcDataChannel Local, RtcDataChannel Remote)> ConnectWithChannelAsync(PeerPair pair)
    {
        var local = pair.Offerer.CreateDataChannel("chat");
        var announced = PeerPair.NextRemoteChannelAsync(pair.Answerer);
        await pair.ConnectAsync();
        var remote = await announced.WaitAsync(PeerPair.Timeout);
        await PeerPair.WaitOpenAsync(local);
        return (local, remote);
    }

    /// <summary>Offer from <paramref name="offerer"/>, answer from <paramref name="answerer"/> (candidates trickle on their own).</summary>
    internal static async Task RenegotiateAsync(RtcPeerConnection offerer, RtcPeerConnection answerer)
    {
        var offer = await offerer.CreateOfferAsync();
        await offerer.SetLocalDescriptionAsync(offer);
        await answerer.SetRemoteDescriptionAsync(offer);
        var answer = await answerer.CreateAnswerAsync();
        await answerer.SetLocalDescriptionAsync(answer);
        await offerer.SetRemoteDescriptionAsync(answer);
    }

    internal static string LocalUfrag(RtcPeerConnection pc)
    {
        var sdp = SessionDescription.Parse(pc.LocalDescription!.Sdp);
        return sdp.GetIceUfrag(sdp.Media[0])!;
    }

    /// <summary>Completes when the connection signals end-of-candidates (after its handlers ran: the peer has them).</summary>
    internal static Task EndOfCandidatesAsync(RtcPeerConnection pc)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pc.IceCandidate += (_, e) =>
        {
            if (e.Candidate is null)
            {
                done.TrySetResult();
            }
        };
        return done.Task;
    }

    /// <summary>Completes when the connection selects another candidate pair.</summary>
    internal static Task SelectedPairChangedAsync(RtcPeerConnection pc)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pc.SelectedCandidatePairChanged += (_, _) => changed.TrySetResult();
        return changed.Task;
    }

    /// <summary>Three messages each way arrive, in order.</summary>
    internal static async Task AssertMessagesFlowAsync(RtcDataChannel local, RtcDataChannel remote)
    {
        var atRemote = PeerPair.Collect(remote);
        var atLocal = PeerPair.Collect(local);
        for (var i = 0; i < 3; i++)
        {
            local.Send($"ping {i}");
            remote.Send($"pong {i}");
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.That((await atRemote.ReadAsync().AsTask().WaitAsync(PeerPair.Timeout)).Text, Is.EqualTo($"ping {i}"));
            Assert.That((await atLocal.ReadAsync().AsTask().WaitAsync(PeerPair.Timeout)).Text, Is.EqualTo($"pong {i}"));
        }
    }

    private static string ReplaceLine(string sdp, string prefix, string replacement) =>
        string.Join("\r\n", sdp.Split("\r\n").Select(l => l.StartsWith(prefix, StringComparison.Ordinal) ? replacement : l));
}
