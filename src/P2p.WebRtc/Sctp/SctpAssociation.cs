using System.IO.Hashing;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.WebRtc.Sctp.Packets;
using P2p.WebRtc.Sctp.Receive;
using P2p.WebRtc.Sctp.Send;
using P2p.WebRtc.Sctp.Timing;

namespace P2p.WebRtc.Sctp;

/// <summary>
/// One SCTP association (RFC 9260) as profiled for WebRTC data channels (RFC 8261, RFC 8831 §6):
/// a pure state machine with no I/O, no threads and no clock of its own, after the design of
/// Chromium's dcSCTP. The caller feeds it received packets (<see cref="HandlePacket"/>) and the
/// time (<see cref="HandleTimeout"/>, every call takes "now"), and takes from it the packets to send
/// (<see cref="BuildPacket"/>), the events (<see cref="TryDequeueEvent"/>) and the next deadline
/// (<see cref="NextTimeout"/>). That makes loss, reordering and timers testable with a virtual clock.
/// </summary>
/// <remarks>
/// Not thread-safe: one caller at a time (the <c>SctpTransport</c> driver serialises access).
/// Time is any monotonic <see cref="TimeSpan"/> (e.g. elapsed since start); it must not go back.
/// </remarks>
public sealed partial class SctpAssociation
{
    private readonly SctpOptions _options;
    private readonly ILogger _logger;
    private readonly Queue<SctpEvent> _events = new();
    private readonly Crc32 _crc = Crc32c.CreateScratch();
    private readonly byte[] _cookieKey = new byte[32];
    private readonly uint _localTag;
    private readonly uint _localInitialTsn;
    private readonly int _maxPayload;
    private readonly SendQueue _sendQueue;
    private readonly RetransmissionQueue _retransmissions;
    private readonly RtoEstimator _rto;
    private readonly Random _random;

    private readonly SctpTimer _t1Init = new();
    private readonly SctpTimer _t1Cookie = new();
    private readonly SctpTimer _t2Shutdown = new();
    private readonly SctpTimer _t3Rtx = new();
    private readonly SctpTimer _delayedAck = new();
    private readonly SctpTimer _heartbeat = new();
    private readonly SctpTimer _reconfigTimer = new();

    private SctpAssociationState _state = SctpAssociationState.Closed;
    private bool _terminal;
    private bool _unacknowledgedAtClose;
    private bool _started;

    // Peer, known from INIT ACK (active side) or the State Cookie (passive side / collision).
    private uint _peerTag;
    private uint _peerInitialTsn;
    private uint _peerInitialRwnd;
    private ushort _peerOutboundStreams;
    private ushort _peerInboundStreams;
    private bool _peerForwardTsn;
    private bool _peerReconfig;

    // Established-state machinery.
    private DataTracker? _tracker;
    private ReassemblyQueue? _reassembly;
    private CongestionController? _cc;
    private long _peerRwnd;
    private int _errorCount;

    /// <summary>Bytes of delivered messages the upper layer holds and has not consumed (<see cref="HoldReceived"/>).</summary>
    private long _heldBytes;

    /// <summary>The a_rwnd of the last SACK sent: a window update follows when consumption opens it well beyond this.</summary>
    private long _lastAdvertisedWindow = long.MaxValue;

    /// <summary>A SACK arrived since the last T3 expiry while the peer's window could not take what was in flight (§6.1 A).</summary>
    private bool _zeroWindowSackSinceT3;

    /// <summary>The peer's last SACK left no room for what was in flight: our window probes may have been dropped.</summary>
    private bool _peerWindowClosed;
    private bool _fastRetransmitPending;
    private bool _forwardTsnPending;
    private TimeSpan _lastDataSentAt;
    private TimeSpan _lastReceivedAt;
    private byte[]? _initChunk;
    private byte[]? _cookieEchoChunk;
    private ulong _heartbeatNonce;
    private bool _heartbeatOutstanding;

    // Counters.
    private long _packetsSent;
    private long _packetsReceived;
    private long _packetsDropped;
    private long _dataChunksSent;
    private long _dataChunksReceived;
    private long _duplicates;
    private long _fastRetransmits;
    private long _t3Expirations;
    private long _messagesSent;
    private long _forwardTsnsSent;
    private long _forwardTsnsReceived;
    private long _sacksSent;
    private long _sacksReceived;

    /// <summary>Creates an association in the <see cref="SctpAssociationState.Closed"/> (listening) state.</summary>
    /// <param name="options">Tunables; null for defaults.</param>
    /// <param name="logger">Logger; null for none.</param>
    /// <param name="random">
    /// Source of verification tags, initial TSNs and cookie keys; null uses a cryptographic source.
    /// Pass a seeded one only for reproducible tests.
    /// </param>
    public SctpAssociation(SctpOptions? options = null, ILogger? logger = null, Random? random = null)
    {
        _options = options ?? new SctpOptions();
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
        _random = random ?? Random.Shared;
        if (random is null)
        {
            RandomNumberGenerator.Fill(_cookieKey);
            _localTag = NonZeroRandom(() => BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4)));
            _localInitialTsn = _options.InitialTsn ?? BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
        }
        else
        {
            random.NextBytes(_cookieKey);
            _localTag = NonZeroRandom(() => (uint)random.NextInt64(1, uint.MaxValue));
            _localInitialTsn = _options.InitialTsn ?? (uint)random.NextInt64(0, uint.MaxValue);
        }

        // The largest DATA payload of one packet: packet − common header − DATA header, kept 4-aligned.
        _maxPayload = (_options.MaxPacketSize - SctpCommonHeader.Size - Chunks.DataChunk.HeaderSize) & ~3;
        _sendQueue = new SendQueue(_events);
        _retransmissions = new RetransmissionQueue(_localInitialTsn, _sendQueue);
        _rto = new RtoEstimator(_options.RtoInitial, _options.RtoMin, _options.RtoMax);
        _myNextRequestSeq = _localInitialTsn;
    }

    /// <summary>The current state (RFC 9260 §4).</summary>
    public SctpAssociationState State => _state;

    /// <summary>True once the association has closed or failed for good; it then ignores all input.</summary>
    public bool IsClosed => _terminal;

    /// <summary>The options in use.</summary>
    public SctpOptions Options => _options;

    /// <summary>Outbound streams usable with <see cref="Send"/> (negotiated once established).</summary>
    public ushort OutboundStreams => _tracker is null ? _options.OutboundStreams : Math.Min(_options.OutboundStreams, _peerInboundStreams);

    /// <summary>Inbound streams the peer may use (negotiated once established).</summary>
    public ushort InboundStreams => _tracker is null ? _options.InboundStreams : Math.Min(_options.InboundStreams, _peerOutboundStreams);

    /// <summary>True when the peer announced PR-SCTP (RFC 3758); otherwise every message is sent reliably.</summary>
    public bool PeerSupportsPartialReliability => _peerForwardTsn;

    /// <summary>True when the peer announced RE-CONFIG (RFC 6525), needed by <see cref="ResetStreams"/>.</summary>
    public bool PeerSupportsStreamReset => _peerReconfig;

    /// <summary>Bytes queued on all streams and not yet sent.</summary>
    public long TotalBufferedAmount => _sendQueue.TotalBufferedAmount;

    /// <summary>
    /// True while a message queued with <see cref="Send"/> is not yet sent or not yet acknowledged by the peer (its
    /// cumulative TSN ack); false once everything queued so far has arrived (abandoned partially reliable messages count as done).
    /// </summary>
    /// After the association closed: whether it closed with such messages (they are lost then).
    public bool HasUnacknowledgedData => _terminal ? _unacknowledgedAtClose : !_sendQueue.IsEmpty || _retransmissions.Count > 0;

    /// <summary>The threshold of <see cref="SctpEventType.TotalBufferedAmountLow"/>.</summary>
    public long TotalBufferedAmountLowThreshold
    {
        get => _sendQueue.TotalLowThreshold;
        set => _sendQueue.TotalLowThreshold = Math.Max(0, value);
    }

    /// <summary>
    /// The earliest time at which <see cref="HandleTimeout"/> has work to do, or null when no timer
    /// runs. Calling it earlier or more often is harmless.
    /// </summary>
    public TimeSpan? NextTimeout
    {
        get
        {
            var next = SctpTimer.Never;
            Min(ref next, _t1Init);
            Min(ref next, _t1Cookie);
            Min(ref next, _t2Shutdown);
            Min(ref next, _t3Rtx);
            Min(ref next, _delayedAck);
            Min(ref next, _heartbeat);
            Min(ref next, _reconfigTimer);
            return next == SctpTimer.Never ? null : next;

            static void Min(ref TimeSpan next, SctpTimer t)
            {
                if (t.Deadline < next)
                {
                    next = t.Deadline;
                }
            }
        }
    }

    /// <summary>
    /// Bytes of delivered messages that the upper layer holds and has not consumed yet. They count against the receive
    /// window (RFC 9260 §6.2: a_rwnd is the receive buffer left), so a reader that falls behind closes the window and the
    /// peer stops sending instead of the bytes piling up here. Zero unless the upper layer calls <see cref="HoldReceived"/>.
    /// </summary>
    public long HeldBytes => _heldBytes;

    /// <summary>
    /// Counts <paramref name="bytes"/> of delivered messages as held by the upper layer, against the receive window, until
    /// <see cref="ReleaseReceived"/> gives them back. Call it when taking <see cref="SctpEventType.MessageReceived"/> events.
    /// </summary>
    /// <param name="bytes">The payload bytes taken; not negative.</param>
    public void HoldReceived(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        _heldBytes += bytes;
    }

    /// <summary>
    /// The upper layer consumed <paramref name="bytes"/> of held messages. When that opens a window last advertised as
    /// nearly closed by a quarter of its size or more, a SACK goes out at once to tell the peer (a window update),
    /// instead of the peer waiting for its probe's retransmission timeout.
    /// </summary>
    /// <param name="bytes">The payload bytes consumed; not negative. More than are held is taken as all of them.</param>
    public void ReleaseReceived(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        _heldBytes = Math.Max(0, _heldBytes - bytes);
        var window = _options.ReceiveWindow;
        if (_tracker is { } tracker && AcceptsData && _lastAdvertisedWindow < window / 2
            && AdvertisedWindow() >= _lastAdvertisedWindow + (window / 4))
        {
            tracker.RequestAckNow();
        }
    }

    /// <summary>Takes the next event; false when there is none.</summary>
    public bool TryDequeueEvent(out SctpEvent sctpEvent) => _events.TryDequeue(out sctpEvent);

    /// <summary>True when events wait to be taken.</summary>
    public bool HasEvents => _events.Count > 0;

    /// <summary>
    /// Starts the association actively: sends INIT (RFC 9260 §5.1). In WebRTC both peers do this at
    /// once; the INIT collision is resolved per §5.2.1/§5.2.4. A passive association needs no call:
    /// it answers the peer's INIT while <see cref="SctpAssociationState.Closed"/>.
    /// </summary>
    public void Connect(TimeSpan now)
    {
        if (_terminal || _state != SctpAssociationState.Closed || _started)
        {
            return;
        }

        _started = true;
        SendInit(now);
    }

    /// <summary>
    /// Queues a message (RFC 9260 §6.1; fragmented per §6.9). The payload is copied. Messages may
    /// be queued before the association is established; they go out once it is.
    /// </summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="ppid">The payload protocol identifier carried with the message.</param>
    /// <param name="payload">The message, 1 byte to <see cref="SctpOptions.MaxMessageSize"/>.</param>
    /// <param name="sendOptions">Ordering and partial reliability.</param>
    /// <param name="now">The current time (starts a lifetime).</param>
    public SctpSendStatus Send(ushort streamId, uint ppid, ReadOnlySpan<byte> payload, SctpSendOptions sendOptions, TimeSpan now)
    {
        if (_terminal || _state >= SctpAssociationState.ShutdownPending)
        {
            return SctpSendStatus.ErrorShuttingDown;
        }

        if (payload.IsEmpty)
        {
            return SctpSendStatus.ErrorMessageEmpty;
        }

        if (_options.MaxMessageSize > 0 && payload.Length > _options.MaxMessageSize)
        {
            return SctpSendStatus.ErrorMessageTooLarge;
        }

        if (streamId >= OutboundStreams)
        {
            return SctpSendStatus.ErrorInvalidStream;
        }

        if (_sendQueue.TotalBufferedAmount + payload.Length > _options.MaxSendBufferSize)
        {
            return SctpSendStatus.ErrorResourceExhaustion;
        }

        var expires = sendOptions.MaxLifetime is { } lifetime ? now + (lifetime < TimeSpan.Zero ? TimeSpan.Zero : lifetime) : TimeSpan.MaxValue;
        var maxRetransmits = sendOptions.MaxRetransmits is { } r ? Math.Max(0, r) : -1;
        _sendQueue.Enqueue(_sendQueue.Pool.Rent(payload, streamId, ppid, sendOptions.Unordered, expires, maxRetransmits));
        _messagesSent++;
        return SctpSendStatus.Success;
    }

    /// <summary>Bytes queued on a stream and not yet sent (RFC 8831 §6.6 bufferedAmount).</summary>
    public long GetBufferedAmount(ushort streamId) => _sendQueue.GetBufferedAmount(streamId);

    /// <summary>Sets the stream's threshold for <see cref="SctpEventType.BufferedAmountLow"/> (default 0).</summary>
    public void SetBufferedAmountLowThreshold(ushort streamId, long bytes) => _sendQueue.SetLowThreshold(streamId, Math.Max(0, bytes));

    /// <summary>The stream's buffered-amount low threshold.</summary>
    public long GetBufferedAmountLowThreshold(ushort streamId) => _sendQueue.GetLowThreshold(streamId);

    /// <summary>A snapshot of the counters and congestion state.</summary>
    public SctpMetrics GetMetrics() => new()
    {
        PacketsSent = _packetsSent,
        PacketsReceived = _packetsReceived,
        PacketsDropped = _packetsDropped,
        DataChunksSent = _dataChunksSent,
        DataChunksRetransmitted = _retransmissions.Retransmissions,
        FastRetransmits = _fastRetransmits,
        T3Expirations = _t3Expirations,
        DataChunksReceived = _dataChunksReceived,
        DuplicateTsnsReceived = _duplicates,
        MessagesSent = _messagesSent,
        MessagesReceived = _reassembly?.MessagesDelivered ?? 0,
        MessagesAbandoned = _retransmissions.MessagesAbandoned + _sendQueue.ExpiredUnsent,
        ForwardTsnsSent = _forwardTsnsSent,
        ForwardTsnsReceived = _forwardTsnsReceived,
        SacksSent = _sacksSent,
        SacksReceived = _sacksReceived,
        CongestionWindow = _cc?.Cwnd ?? 0,
        SlowStartThreshold = _cc?.Ssthresh ?? 0,
        BytesInFlight = _retransmissions.BytesInFlight,
        PeerReceiveWindow = _peerRwnd,
        SmoothedRtt = _rto.Srtt,
        Rto = _rto.Rto,
        BufferedAmount = _sendQueue.TotalBufferedAmount,
        ReceiveBufferedBytes = _reassembly?.BufferedBytes ?? 0,
        ReceiveHeldBytes = _heldBytes,
    };

    /// <summary>
    /// Aborts at once (RFC 9260 §9.1): sends ABORT with a User-Initiated Abort cause carrying
    /// <paramref name="reason"/>, drops everything queued, and reports <see cref="SctpEventType.Closed"/>.
    /// </summary>
    public void Abort(string? reason, TimeSpan now)
    {
        if (_terminal)
        {
            return;
        }

        Span<byte> cause = stackalloc byte[300];
        var n = ErrorCauses.ErrorCause.WriteUserInitiatedAbort(cause, reason);
        SendAbort(cause[..n]);
        Terminate(new SctpCloseInfo(SctpCloseReason.LocalAbort, reason ?? "aborted", SctpErrorCauseCode.UserInitiatedAbort));
    }

    /// <summary>Tells the association that the lower transport closed: it closes without sending anything.</summary>
    public void HandleTransportClosed(string? detail = null)
    {
        if (!_terminal)
        {
            Terminate(new SctpCloseInfo(SctpCloseReason.TransportClosed, detail ?? "the lower transport closed"));
        }
    }

    private static uint NonZeroRandom(Func<uint> next)
    {
        uint v;
        do
        {
            v = next();
        }
        while (v == 0);
        return v;
    }

    private void SetState(SctpAssociationState state)
    {
        if (_state != state)
        {
            _state = state;
            SctpLog.StateChanged(_logger, state);
        }
    }

    /// <summary>Closes for good: stops timers, drops queues, reports the reason once.</summary>
    private void Terminate(SctpCloseInfo info)
    {
        if (_terminal)
        {
            return;
        }

        _unacknowledgedAtClose = HasUnacknowledgedData;
        _terminal = true;
        SetState(SctpAssociationState.Closed);
        _t1Init.Stop();
        _t1Cookie.Stop();
        _t2Shutdown.Stop();
        _t3Rtx.Stop();
        _delayedAck.Stop();
        _heartbeat.Stop();
        _reconfigTimer.Stop();
        _sendQueue.Clear();
        _retransmissions.Clear();
        _reassembly?.Clear();
        _control.Clear();
        SctpLog.Closed(_logger, info.Reason, info.Message);
        _events.Enqueue(new SctpEvent { Type = SctpEventType.Closed, CloseInfo = info });
    }

    private void Drop(string reason)
    {
        _packetsDropped++;
        SctpLog.PacketDropped(_logger, reason);
    }
}
