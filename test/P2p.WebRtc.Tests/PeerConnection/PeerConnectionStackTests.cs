using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Threading.Channels;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Testing.Transports;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.PeerConnection;

/// <summary>The whole stack (ICE, DTLS, SCTP, DCEP) between two of our peer connections over real UDP on 127.0.0.1.</summary>
public class PeerConnectionStackTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task Lossy_path_16MiBIn_64KiBMessages_arrive_complete_in_order_and_intact_despite_injected_garbage(CancellationToken ct)
    {
        using var relay = new LossyUdpRelay(new LinkImpairment(Loss: 0.05, Duplicate: 0.01, Reorder: 0.05, Seed: 42));
        await using var pair = new PeerPair(toAnswerer: relay.RewriteForB, toOfferer: relay.RewriteForA);
        var sender = pair.Offerer.CreateDataChannel("bulk");
        var announced = PeerPair.NextRemoteChannelAsync(pair.Answerer);
        await pair.ConnectAsync();
        var receiver = await announced.WaitAsync(PeerPair.Timeout, ct);
        await PeerPair.WaitOpenAsync(sender);

        const int size = 64 * 1024;
        const int count = 256; // 16 MiB
        var next = 0L;
        var failures = new List<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        receiver.MessageReceived += (_, e) =>
        {
            var index = BinaryPrimitives.ReadInt64BigEndian(e.Data.Span);
            if (index != next || e.Data.Length != size)
            {
                failures.Add($"expected message {next} of {size} bytes, got {index} of {e.Data.Length}");
                done.TrySetResult();
            }

            received.AppendData(e.Data.Span);
            if (++next == count)
            {
                done.TrySetResult();
            }
        };

        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var i = 0; i < count; i++)
        {
            var message = Message(i, size);
            sent.AppendData(message);
            await sender.SendAsync(message, ct);
            if (i == count / 2)
            {
                relay.InjectTowardsA(60); // garbage, truncated and replayed datagrams towards the offerer mid-transfer
            }
        }

        await done.Task.WaitAsync(TimeSpan.FromSeconds(90), ct);
        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.Empty);
            Assert.That(next, Is.EqualTo(count));
            Assert.That(received.GetHashAndReset(), Is.EqualTo(sent.GetHashAndReset()));
            Assert.That(relay.Dropped, Is.GreaterThan(0), "the relay did drop datagrams");
            Assert.That(relay.Reordered, Is.GreaterThan(0), "the relay did reorder datagrams");
            Assert.That(relay.Duplicated, Is.GreaterThan(0), "the relay did duplicate datagrams");
            Assert.That(pair.Offerer.SctpMetrics!.DataChunksRetransmitted, Is.GreaterThan(0), "losses were repaired by retransmission");
            Assert.That(pair.Offerer.ConnectionState, Is.EqualTo(RtcPeerConnectionState.Connected));
        });

        // The connection still works after the injected garbage.
        var echo = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        sender.MessageReceived += (_, e) => echo.TrySetResult(e.Text);
        relay.Impairment = LinkImpairment.None;
        receiver.Send("still alive");
        Assert.That(await echo.Task.WaitAsync(PeerPair.Timeout, ct), Is.EqualTo("still alive"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Messages_from_one_byte_to_the_maximum_size_cross_and_larger_ones_are_refused(CancellationToken ct)
    {
        await using var pair = new PeerPair();
        var channel = pair.Offerer.CreateDataChannel("sizes");
        var announced = PeerPair.NextRemoteChannelAsync(pair.Answerer);
        await pair.ConnectAsync();
        var remote = await announced.WaitAsync(PeerPair.Timeout, ct);
        await PeerPair.WaitOpenAsync(channel);
        var inbox = PeerPair.Collect(remote);

        var max = (int)channel.MaxMessageSize;
        Assert.That(max, Is.EqualTo(RtcConfiguration.DefaultMaxMessageSize));
        var sizes = new[] { 1, 2, 1000, 1100, 1200, 1201, 4096, 65535, 65536, 65537, max - 1, max };
        var messages = sizes.Select(s => RandomNumberGenerator.GetBytes(s)).ToArray();
        foreach (var message in messages)
        {
            channel.Send(message);
        }

        foreach (var message in messages)
        {
            var got = await inbox.ReadAsync(ct).AsTask().WaitAsync(PeerPair.Timeout, ct);
            Assert.That(got.Data.ToArray(), Is.EqualTo(message), $"{message.Length} bytes");
        }

        var tooLarge = Assert.Throws<ArgumentException>(() => channel.Send(new byte[max + 1]));
        Assert.That(tooLarge!.Message, Does.Contain("max-message-size"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Many_channels_open_at_once_ordered_and_unordered_each_message_on_its_own_channel(CancellationToken ct)
    {
        const int perSide = 40;
        await using var pair = new PeerPair();
        var remoteAtAnswerer = Channel.CreateUnbounded<RtcDataChannel>();
        var remoteAtOfferer = Channel.CreateUnbounded<RtcDataChannel>();
        pair.Answerer.DataChannel += (_, c) => remoteAtAnswerer.Writer.TryWrite(c);
        pair.Offerer.DataChannel += (_, c) => remoteAtOfferer.Writer.TryWrite(c);
        var mine = Enumerable.Range(0, perSide)
            .Select(i => pair.Offerer.CreateDataChannel($"o{i}", new RtcDataChannelInit { Ordered = i % 2 == 0 }))
            .ToList();
        await pair.ConnectAsync();
        mine.AddRange(Enumerable.Range(0, perSide)
            .Select(i => pair.Answerer.CreateDataChannel($"a{i}", new RtcDataChannelInit { Ordered = i % 2 == 0 })));

        var remote = new Dictionary<string, RtcDataChannel>();
        for (var i = 0; i < perSide; i++)
        {
            foreach (var c in new[] { await remoteAtAnswerer.Reader.ReadAsync(ct), await remoteAtOfferer.Reader.ReadAsync(ct) })
            {
                remote[c.Label] = c;
            }
        }

        Assert.That(remote, Has.Count.EqualTo(2 * perSide));
        var inboxes = remote.ToDictionary(r => r.Key, r => PeerPair.Collect(r.Value));
        foreach (var channel in mine)
        {
            await PeerPair.WaitOpenAsync(channel);
            Assert.That(remote[channel.Label].Ordered, Is.EqualTo(channel.Ordered), channel.Label);
            Assert.That(remote[channel.Label].Id, Is.EqualTo(channel.Id), channel.Label);
            channel.Send(channel.Label);
        }

        foreach (var (label, inbox) in inboxes)
        {
            var message = await inbox.ReadAsync(ct).AsTask().WaitAsync(PeerPair.Timeout, ct);
            Assert.That(message.Text, Is.EqualTo(label));
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Partial_reliability_and_protocol_are_announced_to_the_peer(CancellationToken ct)
    {
        await using var pair = new PeerPair();
        var rexmit = pair.Offerer.CreateDataChannel("rexmit", new RtcDataChannelInit { Ordered = false, MaxRetransmits = 0, Protocol = "p" });
        var timed = pair.Offerer.CreateDataChannel("timed", new RtcDataChannelInit { MaxPacketLifeTime = TimeSpan.FromMilliseconds(150) });
        var remote = Channel.CreateUnbounded<RtcDataChannel>();
        pair.Answerer.DataChannel += (_, c) => remote.Writer.TryWrite(c);
        await pair.ConnectAsync();
        var byLabel = new Dictionary<string, RtcDataChannel>();
        for (var i = 0; i < 2; i++)
        {
            var c = await remote.Reader.ReadAsync(ct).AsTask().WaitAsync(PeerPair.Timeout, ct);
            byLabel[c.Label] = c;
        }

        Assert.Multiple(() =>
        {
            Assert.That(byLabel["rexmit"].MaxRetransmits, Is.EqualTo(0));
            Assert.That(byLabel["rexmit"].Ordered, Is.False);
            Assert.That(byLabel["rexmit"].Protocol, Is.EqualTo("p"));
            Assert.That(byLabel["timed"].MaxPacketLifeTime, Is.EqualTo(TimeSpan.FromMilliseconds(150)));
            Assert.That(byLabel["timed"].Ordered, Is.True);
        });

        // On a clean path even an unreliable channel delivers.
        var inbox = PeerPair.Collect(byLabel["rexmit"]);
        await PeerPair.WaitOpenAsync(rexmit);
        rexmit.Send("best effort");
        Assert.That((await inbox.ReadAsync(ct).AsTask().WaitAsync(PeerPair.Timeout, ct)).Text, Is.EqualTo("best effort"));
        _ = timed;
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Negotiated_channels_with_the_same_id_connect_without_dcep(CancellationToken ct)
    {
        await using var pair = new PeerPair();
        var announced = 0;
        pair.Answerer.DataChannel += (_, _) => Interlocked.Increment(ref announced);
        var a = pair.Offerer.CreateDataChannel("p2p", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        var b = pair.Answerer.CreateDataChannel("p2p", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        var inbox = PeerPair.Collect(b);
        await pair.ConnectAsync();
        await PeerPair.WaitOpenAsync(a);
        await PeerPair.WaitOpenAsync(b);
        a.Send(new byte[] { 42 });
        Assert.That((await inbox.ReadAsync(ct).AsTask().WaitAsync(PeerPair.Timeout, ct)).Data.ToArray(), Is.EqualTo(new byte[] { 42 }));
        Assert.That(announced, Is.Zero, "no DATA_CHANNEL_OPEN for a negotiated channel");
        Assert.Throws<ArgumentException>(() => pair.Offerer.CreateDataChannel("again", new RtcDataChannelInit { Negotiated = true, Id = 0 }));
        Assert.Throws<ArgumentException>(() => pair.Offerer.CreateDataChannel("no id", new RtcDataChannelInit { Negotiated = true }));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Closing_a_channel_resets_its_stream_on_both_sides_and_the_id_is_reused(CancellationToken ct)
    {
        await using var pair = new PeerPair();
        var first = pair.Offerer.CreateDataChannel("first");
        var announced = PeerPair.NextRemoteChannelAsync(pair.Answerer);
        await pair.ConnectAsync();
        var remoteFirst = await announced.WaitAsync(PeerPair.Timeout, ct);
        await PeerPair.WaitOpenAsync(first);
        var id = first.Id;

        var closedHere = Closed(first);
        var closedThere = Closed(remoteFirst);
        first.Close();
        await Task.WhenAll(closedHere, closedThere).WaitAsync(PeerPair.Timeout, ct);
        Assert.That(first.ReadyState, Is.EqualTo(RtcDataChannelState.Closed));
        Assert.That(remoteFirst.ReadyState, Is.EqualTo(RtcDataChannelState.Closed));
        Assert.Throws<InvalidOperationException>(() => first.Send("too late"));

        var announcedAgain = PeerPair.NextRemoteChannelAsync(pair.Answerer);
        var second = pair.Offerer.CreateDataChannel("second");
        var remoteSecond = await announcedAgain.WaitAsync(PeerPair.Timeout, ct);
        Assert.That(second.Id, Is.EqualTo(id), "the lowest free id of this side's parity is reused");
        var inbox = PeerPair.Collect(remoteSecond);
        await PeerPair.WaitOpenAsync(second);
        second.Send("on the reused stream");
        Assert.That((await inbox.ReadAsync(ct).AsTask().WaitAsync(PeerPair.Timeout, ct)).Text, Is.EqualTo("on the reused stream"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_fingerprint_that_does_not_match_the_certificate_is_refused(CancellationToken ct)
    {
        await using var offerer = new RtcPeerConnection(PeerPair.Loopback());
        await using var answerer = new RtcPeerConnection(PeerPair.Loopback());
        offerer.IceCandidate += async (_, e) => await answerer.AddIceCandidateAsync(e.Candidate);
        answerer.IceCandidate += async (_, e) => await offerer.AddIceCandidateAsync(e.Candidate);
        var failedOfferer = PeerPair.WaitForStateAsync(offerer, RtcPeerConnectionState.Failed);
        var failedAnswerer = PeerPair.WaitForStateAsync(answerer, RtcPeerConnectionState.Failed);

        var offer = await offerer.CreateOfferAsync(ct);
        await offerer.SetLocalDescriptionAsync(offer, ct);
        await answerer.SetRemoteDescriptionAsync(offer, ct);
        var answer = await answerer.CreateAnswerAsync(ct);
        await answerer.SetLocalDescriptionAsync(answer, ct);
        var other = RtcCertificate.Generate().Fingerprint.ToString();
        var forged = answer with { Sdp = System.Text.RegularExpressions.Regex.Replace(answer.Sdp, "a=fingerprint:[^\r\n]+", "a=fingerprint:" + other) };
        await offerer.SetRemoteDescriptionAsync(forged, ct);

        await failedOfferer.WaitAsync(PeerPair.Timeout, ct);
        var error = offerer.Error as DtlsHandshakeException;
        Assert.That(error, Is.Not.Null, $"got {offerer.Error}");
        Assert.That(error!.Reason, Is.EqualTo(DtlsHandshakeFailure.RemoteFingerprintMismatch));
        await failedAnswerer.WaitAsync(PeerPair.Timeout, ct); // the offerer's fatal alert reaches the answerer
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Closing_the_connection_closes_the_peer_and_its_channels(CancellationToken ct)
    {
        await using var pair = new PeerPair();
        var channel = pair.Offerer.CreateDataChannel("c");
        var announced = PeerPair.NextRemoteChannelAsync(pair.Answerer);
        await pair.ConnectAsync();
        var remote = await announced.WaitAsync(PeerPair.Timeout, ct);
        var remoteClosed = Closed(remote);
        var answererClosed = PeerPair.WaitForStateAsync(pair.Answerer, RtcPeerConnectionState.Closed);

        await pair.Offerer.CloseAsync();

        Assert.That(pair.Offerer.ConnectionState, Is.EqualTo(RtcPeerConnectionState.Closed));
        Assert.That(channel.ReadyState, Is.EqualTo(RtcDataChannelState.Closed));
        await Task.WhenAll(remoteClosed, answererClosed).WaitAsync(PeerPair.Timeout, ct);
        await Assert.ThatAsync(() => pair.Offerer.CreateOfferAsync(ct), Throws.InvalidOperationException);
    }

    [Test]
    public async Task Bad_input_gives_clear_errors()
    {
        await using var pc = new RtcPeerConnection(PeerPair.Loopback());
        Assert.ThrowsAsync<InvalidOperationException>(() => pc.CreateAnswerAsync());
        Assert.ThrowsAsync<P2p.WebRtc.Sdp.SdpParseException>(() => pc.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Offer, "not sdp")));
        var noData = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
        Assert.ThrowsAsync<FormatException>(() => pc.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Offer, noData)));
        Assert.ThrowsAsync<P2p.WebRtc.Sdp.SdpParseException>(() => pc.AddIceCandidateAsync(new RtcIceCandidateInit("candidate:garbage")));
        Assert.Throws<ArgumentException>(() => pc.CreateDataChannel("x", new RtcDataChannelInit { MaxRetransmits = 1, MaxPacketLifeTime = TimeSpan.FromSeconds(1) }));
        var offer = await pc.CreateOfferAsync();
        await pc.SetLocalDescriptionAsync(offer);
        Assert.ThrowsAsync<InvalidOperationException>(() => pc.SetRemoteDescriptionAsync(offer), "an offer while our own offer is pending (glare)");
        Assert.ThrowsAsync<InvalidOperationException>(() => pc.SetLocalDescriptionAsync(offer with { Sdp = offer.Sdp.Replace("a=ice-pwd:", "a=ice-pwd:x", StringComparison.Ordinal) }));
    }

    [Test]
    public void Descriptions_and_candidates_serialize_to_the_browsers_json_shapes()
    {
        var offer = new RtcSessionDescription(RtcSdpType.Offer, "v=0\r\n");
        Assert.That(System.Text.Json.JsonSerializer.Serialize(offer), Is.EqualTo("""{"type":"offer","sdp":"v=0\r\n"}"""));
        var answer = System.Text.Json.JsonSerializer.Deserialize<RtcSessionDescription>("""{"type":"answer","sdp":"v=0"}""");
        Assert.That(answer, Is.EqualTo(new RtcSessionDescription(RtcSdpType.Answer, "v=0")));
        var candidate = new RtcIceCandidateInit("candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host", "0", 0);
        Assert.That(System.Text.Json.JsonSerializer.Serialize(candidate),
            Is.EqualTo("""{"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":null}"""));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task An_early_candidate_that_does_not_fit_is_skipped_and_the_others_still_apply(CancellationToken ct)
    {
        await using var offerer = new RtcPeerConnection(PeerPair.Loopback());
        await using var answerer = new RtcPeerConnection(PeerPair.Loopback());
        var gathered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var offererCandidates = new List<RtcIceCandidateInit>();
        offerer.IceCandidate += (_, e) =>
        {
            if (e.Candidate is null)
            {
                gathered.TrySetResult();
            }
            else
            {
                lock (offererCandidates)
                {
                    offererCandidates.Add(e.Candidate);
                }
            }
        };
        answerer.IceCandidate += async (_, e) => await offerer.AddIceCandidateAsync(e.Candidate);
        var connected = Task.WhenAll(PeerPair.WaitForStateAsync(offerer, RtcPeerConnectionState.Connected), PeerPair.WaitForStateAsync(answerer, RtcPeerConnectionState.Connected));
        var offer = await offerer.CreateOfferAsync(ct);
        await offerer.SetLocalDescriptionAsync(offer, ct);
        await gathered.Task.WaitAsync(PeerPair.Timeout, ct);

        // Before the remote description: one candidate for a section that does not exist, then the real ones.
        await answerer.AddIceCandidateAsync(offererCandidates[0] with { SdpMid = "no-such-mid" }, ct);
        foreach (var c in offererCandidates)
        {
            await answerer.AddIceCandidateAsync(c, ct);
        }

        await answerer.SetRemoteDescriptionAsync(offer, ct); // does not throw: the misfit is skipped
        var answer = await answerer.CreateAnswerAsync(ct);
        await answerer.SetLocalDescriptionAsync(answer, ct);
        await offerer.SetRemoteDescriptionAsync(answer, ct);
        await connected.WaitAsync(PeerPair.Timeout, ct);
    }

    private static byte[] Message(long index, int size)
    {
        var message = new byte[size];
        new Random((int)index).NextBytes(message);
        BinaryPrimitives.WriteInt64BigEndian(message, index);
        return message;
    }

    private static Task Closed(RtcDataChannel channel)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Closed += (_, _) => closed.TrySetResult();
        if (channel.ReadyState == RtcDataChannelState.Closed)
        {
            closed.TrySetResult();
        }

        return closed.Task;
    }
}
