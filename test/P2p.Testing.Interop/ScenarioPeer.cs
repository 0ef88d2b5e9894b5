using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.WebRtc;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Sctp;

namespace P2p.Testing.Interop;

/// <summary>
/// P2p's side of the interop scenario (test/interop-peers/PROTOCOL.md), in-process on an
/// <see cref="RtcPeerConnection"/>: the same script every foreign peer program runs, producing the
/// same report.
/// </summary>
public sealed class ScenarioPeer : IScenarioEndpoint
{
    /// <summary>The text message (non-ASCII on purpose).</summary>
    public const string TextMessage = "interop: ünïcödé ✓ 漢字 🙂";

    /// <summary>The size of a bulk chunk.</summary>
    public const int ChunkSize = 16384;

    /// <summary>Messages sent on each of <c>unordered</c> and <c>partial</c>.</summary>
    public const int SmallCount = 100;

    private static readonly byte[] BinaryMessage = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

    private readonly RtcPeerConnection _pc;
    private readonly ScenarioRole _role;
    private readonly ScenarioPeerOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<string> _signaling = Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource<ScenarioReport> _report = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _bulkQueued = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<RtcIceCandidateInit?> _earlyCandidates = [];
    private readonly List<AcceptedChannel> _accepted = [];
    private readonly HashSet<string> _unorderedReceived = [];
    private readonly HashSet<string> _opened = [];
    private readonly IncrementalHash _receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _remoteDescriptionSet;
    private int _reliableStage; // 0: text expected, 1: binary expected, 2: bulk, 3: after the hash line
    private bool _textOk;
    private bool _binaryOk;
    private bool? _hashOk;
    private long _bulkBytes;
    private long _bulkStarted;
    private long _bulkEnded;
    private int _partialReceived;
    private bool _sentDone;
    private bool _receivedDone;
    private bool _closing;
    private RtcDataChannel? _reliable;
    private RtcDataChannel? _unordered;
    private RtcDataChannel? _partial;

    private ScenarioPeer(ScenarioRole role, ScenarioPeerOptions options)
    {
        _role = role;
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger<ScenarioPeer>() ?? NullLogger<ScenarioPeer>.Instance;
        Name = $"p2p ({RoleName})";
        _pc = new RtcPeerConnection(new RtcConfiguration
        {
            AddressFilter = options.AddressFilter,
            IceServers = options.IceServers,
            LoggerFactory = options.LoggerFactory,
            Ice = options.Ice ?? new(),
        });
        _pc.IceCandidate += (_, e) =>
        {
            if (e.Candidate is null || e.Candidate.IsEndOfCandidates)
            {
                _signaling.Writer.TryWrite(SignalingLine.Candidate(null));
            }
            else if (options.CandidateFilter(e.Candidate.Candidate))
            {
                _signaling.Writer.TryWrite(SignalingLine.Candidate(e.Candidate));
            }
        };
        _pc.ConnectionStateChanged += (_, state) =>
        {
            if (state is RtcPeerConnectionState.Failed or RtcPeerConnectionState.Closed)
            {
                Fail($"the peer connection went {state} before the scenario ended: {_pc.Error?.Message ?? "no error given"}");
            }
        };
        _pc.DataChannel += (_, channel) => OnAnnounced(channel);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The peer connection's selected candidate pair, once connected.</summary>
    public P2p.WebRtc.Ice.IceCandidatePairInfo? SelectedCandidatePair => _pc.SelectedCandidatePair;

    /// <summary>
    /// Waits (at most <paramref name="timeout"/>) until the selected pair satisfies <paramref name="condition"/>, checked now
    /// and at every <c>SelectedCandidatePairChanged</c>; returns the selected pair then, or at the timeout.
    /// </summary>
    public async Task<P2p.WebRtc.Ice.IceCandidatePairInfo?> WaitForSelectedPairAsync(Func<P2p.WebRtc.Ice.IceCandidatePairInfo, bool> condition, TimeSpan timeout)
    {
        var met = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(object? sender, P2p.WebRtc.Ice.IceCandidatePairInfo pair)
        {
            if (condition(pair))
            {
                met.TrySetResult();
            }
        }

        _pc.SelectedCandidatePairChanged += OnChanged;
        try
        {
            if (_pc.SelectedCandidatePair is { } now && condition(now))
            {
                return now;
            }

            await met.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // the caller asserts on what is selected then
        }
        finally
        {
            _pc.SelectedCandidatePairChanged -= OnChanged;
        }

        return _pc.SelectedCandidatePair;
    }

    /// <inheritdoc/>
    public ChannelReader<string> Signaling => _signaling.Reader;

    /// <inheritdoc/>
    public Task<ScenarioReport> Report => _report.Task;

    /// <inheritdoc/>
    public string Diagnostics => string.Empty;

    /// <summary>The stack's version: P2p.WebRtc's informational version.</summary>
    public static string Version { get; } =
        typeof(RtcPeerConnection).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "dev";

    private string RoleName => _role == ScenarioRole.Offer ? "offer" : "answer";

    /// <summary>Starts the scenario: the offerer opens <c>reliable</c> and prints its offer; the answerer waits for the offer.</summary>
    public static async Task<ScenarioPeer> StartAsync(ScenarioRole role, ScenarioPeerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var peer = new ScenarioPeer(role, options ?? new ScenarioPeerOptions());
        peer._stop.CancelAfter(peer._options.Timeout);
        peer._stop.Token.Register(() => peer.Fail($"timed out after {peer._options.Timeout.TotalSeconds:0} s ({peer.Progress()})"));
        if (role == ScenarioRole.Offer)
        {
            peer.Attach(peer._reliable = peer._pc.CreateDataChannel("reliable"));
            var offer = await peer._pc.CreateOfferAsync(cancellationToken).ConfigureAwait(false);
            await peer._pc.SetLocalDescriptionAsync(offer, cancellationToken).ConfigureAwait(false);
            peer._signaling.Writer.TryWrite(SignalingLine.Description(offer));
        }

        return peer;
    }

    /// <inheritdoc/>
    public async Task DeliverAsync(string line, CancellationToken cancellationToken)
    {
        try
        {
            await ApplyAsync(line, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or NotSupportedException or ArgumentException or KeyNotFoundException)
        {
            Fail($"applying the peer's line failed ({e.GetType().Name}: {e.Message}): {(line.Length > 200 ? line[..200] + "…" : line)}");
        }
    }

    private async Task ApplyAsync(string line, CancellationToken cancellationToken)
    {
        switch (SignalingLine.TypeOf(line, out var root))
        {
            case string type when type is "offer" or "answer":
                var description = SignalingLine.ParseDescription(type, root);
                await _pc.SetRemoteDescriptionAsync(description, cancellationToken).ConfigureAwait(false);
                if (type == "offer")
                {
                    var answer = await _pc.CreateAnswerAsync(cancellationToken).ConfigureAwait(false);
                    await _pc.SetLocalDescriptionAsync(answer, cancellationToken).ConfigureAwait(false);
                    _signaling.Writer.TryWrite(SignalingLine.Description(answer));
                }

                RtcIceCandidateInit?[] early;
                lock (_lock)
                {
                    _remoteDescriptionSet = true;
                    early = [.. _earlyCandidates];
                    _earlyCandidates.Clear();
                }

                foreach (var candidate in early)
                {
                    await AddCandidateAsync(candidate, cancellationToken).ConfigureAwait(false);
                }

                break;
            case "candidate":
                var parsed = SignalingLine.ParseCandidate(root);
                lock (_lock)
                {
                    if (!_remoteDescriptionSet)
                    {
                        _earlyCandidates.Add(parsed);
                        break;
                    }
                }

                await AddCandidateAsync(parsed, cancellationToken).ConfigureAwait(false);
                break;
            default:
                break; // a report or anything else: not for us
        }
    }

    /// <inheritdoc/>
    public async Task<int> FinishAsync(TimeSpan timeout)
    {
        await _pc.CloseAsync().AsTask().WaitAsync(timeout).ConfigureAwait(false);
        return 0;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        Fail("disposed before the scenario ended");
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pc.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _receivedHash.Dispose();
    }

    private async Task AddCandidateAsync(RtcIceCandidateInit? candidate, CancellationToken cancellationToken)
    {
        if (candidate is not null && !_options.CandidateFilter(candidate.Candidate))
        {
            _logger.LogDebug("Ignoring the remote candidate {Candidate}: not an interop address", candidate.Candidate);
            return;
        }

        await _pc.AddIceCandidateAsync(candidate, cancellationToken).ConfigureAwait(false);
    }

    private void OnAnnounced(RtcDataChannel channel)
    {
        lock (_lock)
        {
            _accepted.Add(new AcceptedChannel(channel.Label, channel.Ordered, channel.MaxRetransmits));
            switch (channel.Label)
            {
                case "reliable": _reliable = channel; break;
                case "unordered": _unordered = channel; break;
                case "partial": _partial = channel; break;
                default:
                    Fail($"the peer opened an unexpected channel '{channel.Label}'");
                    return;
            }
        }

        Attach(channel);
    }

    /// <summary>Handles the channel's events; runs <see cref="OnOpen"/> once, when it is open (now, or when it opens).</summary>
    private void Attach(RtcDataChannel channel)
    {
        channel.BufferedAmountLowThreshold = 1 << 20;
        channel.MaxBufferedAmount = 4 << 20;

        // Every handler before anything is sent: the peer answers on this channel as soon as it sees it, and its
        // messages are raised on P2p's receive thread, possibly while OnOpenOnce is still sending ours.
        channel.MessageReceived += (_, e) => OnMessage(channel.Label, e);
        channel.Closed += (_, _) => OnClosed(channel);
        channel.Error += (_, e) => _logger.LogWarning(e, "Channel {Label} reported an error", channel.Label);
        channel.Opened += (_, _) => OnOpenOnce(channel);
        if (channel.ReadyState == RtcDataChannelState.Open)
        {
            OnOpenOnce(channel);
        }
    }

    private void OnOpenOnce(RtcDataChannel channel)
    {
        lock (_lock)
        {
            if (!_opened.Add(channel.Label))
            {
                return;
            }
        }

        OnOpen(channel);
    }

    private void OnOpen(RtcDataChannel channel)
    {
        switch (channel.Label)
        {
            case "reliable":
                _ = SendReliableAsync(channel);
                if (_role == ScenarioRole.Offer)
                {
                    Attach(_unordered = _pc.CreateDataChannel("unordered", new RtcDataChannelInit { Ordered = false }));
                    Attach(_partial = _pc.CreateDataChannel("partial", new RtcDataChannelInit { MaxRetransmits = 0 }));
                }

                break;
            case "unordered" or "partial":
                var prefix = channel.Label[0];
                try
                {
                    for (var i = 0; i < SmallCount; i++)
                    {
                        channel.Send($"{prefix}{i}");
                    }
                }
                catch (InvalidOperationException e)
                {
                    Fail($"sending on '{channel.Label}' failed: {e.Message}");
                }

                break;
        }
    }

    private async Task SendReliableAsync(RtcDataChannel channel)
    {
        try
        {
            channel.Send(TextMessage);
            channel.Send(BinaryMessage);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var chunk = new byte[ChunkSize];
            var total = (long)_options.Mib << 20;
            for (long sent = 0; sent < total; sent += ChunkSize)
            {
                var length = (int)Math.Min(ChunkSize, total - sent);
                RandomNumberGenerator.Fill(chunk.AsSpan(0, length));
                hash.AppendData(chunk, 0, length);
                await channel.SendAsync(chunk.AsMemory(0, length), _stop.Token).ConfigureAwait(false);
            }

            channel.Send("sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()));
            _bulkQueued.TrySetResult();
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or ArgumentException)
        {
            Fail($"sending the bulk failed: {e.Message}");
        }
    }

    private void OnMessage(string label, RtcDataChannelMessageEventArgs e)
    {
        var doneReceiving = false;
        lock (_lock)
        {
            switch (label)
            {
                case "reliable":
                    if (!OnReliableMessage(e))
                    {
                        return;
                    }

                    break;
                case "unordered":
                    _unorderedReceived.Add(e.Text);
                    break;
                case "partial":
                    _partialReceived++;
                    break;
            }

            if (!_sentDone && _hashOk == true && _unorderedReceived.Count >= SmallCount)
            {
                _sentDone = true;
                doneReceiving = true;
            }
        }

        if (doneReceiving)
        {
            _ = SendDoneAsync();
        }
        else
        {
            MaybeClose();
        }
    }

    /// <summary>One message on <c>reliable</c>, in order; false after a failure.</summary>
    private bool OnReliableMessage(RtcDataChannelMessageEventArgs e)
    {
        switch (_reliableStage)
        {
            case 0:
                _textOk = e.IsText && e.Text == TextMessage;
                _reliableStage = 1;
                return _textOk || Fail($"the first message on 'reliable' was not the text: {Describe(e)}");
            case 1:
                _binaryOk = !e.IsText && e.Data.Span.SequenceEqual(BinaryMessage);
                _reliableStage = 2;
                return _binaryOk || Fail($"the second message on 'reliable' was not the 256-byte binary: {Describe(e)}");
            case 2 when !e.IsText:
                if (_bulkBytes == 0)
                {
                    _bulkStarted = Stopwatch.GetTimestamp();
                }

                _bulkBytes += e.Data.Length;
                _receivedHash.AppendData(e.Data.Span);
                return true;
            case 2:
                _bulkEnded = Stopwatch.GetTimestamp();
                var text = e.Text;
                _hashOk = text == "sha256:" + Convert.ToHexStringLower(_receivedHash.GetHashAndReset());
                _reliableStage = 3;
                return _hashOk == true || Fail($"the bulk's hash does not match after {_bulkBytes} bytes: the peer sent '{text}'");
            default:
                if (e.IsText && e.Text == "done")
                {
                    _receivedDone = true;
                    return true;
                }

                return Fail($"unexpected message on 'reliable' after the bulk: {Describe(e)}");
        }
    }

    private async Task SendDoneAsync()
    {
        try
        {
            await _bulkQueued.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
            _reliable!.Send("done");
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            Fail($"sending 'done' failed: {e.Message}");
            return;
        }

        MaybeClose();
    }

    /// <summary>Once both sides are done: the offerer closes 'unordered', the answerer 'partial'.</summary>
    private void MaybeClose()
    {
        RtcDataChannel? toClose;
        lock (_lock)
        {
            if (_closing || !_sentDone || !_receivedDone || !_bulkQueued.Task.IsCompleted)
            {
                return;
            }

            _closing = true;
            toClose = _role == ScenarioRole.Offer ? _unordered : _partial;
        }

        if (toClose is null)
        {
            Fail("the channel to close was never opened");
            return;
        }

        toClose.Close();
    }

    private void OnClosed(RtcDataChannel channel)
    {
        var awaited = _role == ScenarioRole.Offer ? "partial" : "unordered";
        if (channel.Label == awaited)
        {
            bool sentDone;
            lock (_lock)
            {
                sentDone = _sentDone;
            }

            if (sentDone) // the peer closes it only once it has our 'done'
            {
                Succeed(awaited);
                return;
            }
        }

        if (channel.Label != (_role == ScenarioRole.Offer ? "unordered" : "partial"))
        {
            Fail($"channel '{channel.Label}' closed before the scenario ended ({Progress()})");
        }
    }

    private void Succeed(string closeObserved)
    {
        ScenarioReport report;
        lock (_lock)
        {
            var seconds = Stopwatch.GetElapsedTime(_bulkStarted, _bulkEnded).TotalSeconds;
            report = new ScenarioReport
            {
                Ok = true,
                Stack = "p2p",
                Version = Version,
                Role = RoleName,
                Text = _textOk,
                Binary = _binaryOk,
                BulkBytes = _bulkBytes,
                BulkSeconds = Math.Round(seconds, 3),
                BulkMBps = seconds > 0 ? Math.Round(_bulkBytes / seconds / 1e6, 2) : null,
                HashOk = _hashOk,
                Unordered = _unorderedReceived.Count,
                Partial = _partialReceived,
                Accepted = [.. _accepted],
                CloseObserved = closeObserved,
            };
        }

        if (_report.TrySetResult(report))
        {
            _logger.LogInformation("Scenario passed as {Role}: {Report}", RoleName, report);
        }
    }

    private bool Fail(string error)
    {
        if (_report.TrySetResult(new ScenarioReport { Ok = false, Stack = "p2p", Version = Version, Role = RoleName, Error = error }))
        {
            _logger.LogWarning("Scenario failed as {Role}: {Error}", RoleName, error);
        }

        return false;
    }

    private string Progress()
    {
        lock (_lock)
        {
            return $"reliable stage {_reliableStage}, {_bulkBytes} bulk bytes, unordered {_unorderedReceived.Count}, partial {_partialReceived}, "
                + $"sent done {_sentDone}, received done {_receivedDone}, connection {_pc.ConnectionState}; {DescribeSctp(_pc.SctpMetrics)}";
        }
    }

    private static string DescribeSctp(SctpMetrics? m) => m is null
        ? "no SCTP association"
        : $"SCTP: {m.BufferedAmount} bytes queued, {m.BytesInFlight} in flight, peer window {m.PeerReceiveWindow}, cwnd {m.CongestionWindow}, "
          + $"{m.DataChunksSent} DATA sent, {m.DataChunksRetransmitted} retransmitted, {m.T3Expirations} T3 expirations, "
          + $"{m.SacksReceived} SACKs received, {m.PacketsReceived} packets received, {m.PacketsDropped} dropped, {m.DataChunksReceived} DATA received";

    private static string Describe(RtcDataChannelMessageEventArgs e) =>
        e.IsText ? $"string \"{(e.Text.Length > 80 ? e.Text[..80] + "…" : e.Text)}\"" : $"{e.Data.Length} binary bytes";
}
