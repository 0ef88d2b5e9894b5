using Microsoft.Extensions.Logging;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Sctp;

namespace P2p.WebRtc.DataChannels;

/// <summary>
/// The data channels of one SCTP association (RFC 8831, DCEP RFC 8832): assigns stream ids, opens
/// channels with DATA_CHANNEL_OPEN/ACK (or directly for negotiated ones), routes messages by stream,
/// and closes channels by resetting their streams in both directions.
/// </summary>
internal sealed class DataChannelManager : IDataChannelOwner
{
    private readonly SctpTransport _sctp;
    private readonly DtlsRole _role;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private readonly Dictionary<ushort, RtcDataChannel> _channels = [];
    private readonly List<RtcDataChannel> _waiting = [];
    private readonly Dictionary<ushort, (bool Outgoing, bool Incoming)> _resets = [];
    private readonly Action<RtcDataChannel> _announce;
    private bool _connected;
    private bool _closed;

    /// <summary>
    /// Whether a channel the peer opens would reach anyone (the connection's <c>DataChannel</c> event has a handler).
    /// When not, the peer's DATA_CHANNEL_OPEN is refused (its stream reset): nobody could ever read the channel, and
    /// each one would otherwise hold up to <see cref="RtcDataChannel.MaxHeldBytes"/> of the peer's messages.
    /// </summary>
    public Func<bool> AcceptsPeerChannels { get; init; } = static () => true;

    /// <param name="sctp">The association.</param>
    /// <param name="role">This side's DTLS role: the client uses even stream ids, the server odd ones (RFC 8832 §6).</param>
    /// <param name="remoteMaxMessageSize">The peer's <c>a=max-message-size</c>.</param>
    /// <param name="announce">Called for each channel the peer opens, once it is open.</param>
    /// <param name="logger">Logger.</param>
    public DataChannelManager(SctpTransport sctp, DtlsRole role, long remoteMaxMessageSize, Action<RtcDataChannel> announce, ILogger logger)
    {
        _sctp = sctp;
        _role = role;
        RemoteMaxMessageSize = remoteMaxMessageSize;
        _announce = announce;
        _logger = logger;
        sctp.PooledMessageReceived = OnMessage;
        sctp.BufferedAmountLow += (_, id) => Find(id)?.OnBufferedAmountLow();
        sctp.IncomingStreamsReset += (_, ids) => OnStreamsReset(ids, incoming: true);
        sctp.OutgoingStreamsReset += (_, ids) => OnStreamsReset(ids, incoming: false);
        sctp.StreamsResetFailed += (_, ids) =>
        {
            _logger.LogWarning("The peer refused to reset streams {Streams}; closing their channels locally", string.Join(",", ids));
            foreach (var id in ids)
            {
                Finish(id, null);
            }
        };
    }

    public long RemoteMaxMessageSize { get; }

    /// <summary>Takes a channel created by the application: gives it an id and opens it now or once connected.</summary>
    /// <exception cref="ArgumentException">Its id is taken, or a negotiated channel has none.</exception>
    public void Add(RtcDataChannel channel)
    {
        bool open;
        lock (_sync)
        {
            if (_closed)
            {
                throw new InvalidOperationException("The SCTP association is closed.");
            }

            if (channel.Id is { } id)
            {
                if (_channels.ContainsKey(id))
                {
                    throw new ArgumentException($"Stream id {id} is already used by another data channel.", nameof(channel));
                }
            }
            else if (channel.Negotiated)
            {
                throw new ArgumentException("A negotiated data channel needs an id.", nameof(channel));
            }
            else
            {
                channel.Id = NextFreeIdLocked();
            }

            _channels[channel.Id!.Value] = channel;
            channel.Attach(this);
            open = _connected;
            if (!open)
            {
                _waiting.Add(channel);
            }
        }

        if (open)
        {
            Open(channel);
        }
    }

    /// <summary>The association is up: opens every channel created before.</summary>
    public void OnConnected()
    {
        RtcDataChannel[] waiting;
        lock (_sync)
        {
            _connected = true;
            waiting = [.. _waiting];
            _waiting.Clear();
        }

        foreach (var channel in waiting)
        {
            Open(channel);
        }
    }

    /// <summary>The association closed: every channel closes (with the error, if it failed).</summary>
    public void OnClosed(Exception? error)
    {
        RtcDataChannel[] all;
        lock (_sync)
        {
            _closed = true;
            all = [.. _channels.Values];
            _channels.Clear();
            _waiting.Clear();
        }

        foreach (var channel in all)
        {
            channel.OnClosed(error);
        }
    }

    public void Send(RtcDataChannel channel, DataChannelPpid ppid, ReadOnlySpan<byte> payload)
    {
        var options = new SctpSendOptions
        {
            // RFC 8832 §6: ordered until the peer acknowledged the channel.
            Unordered = !channel.Ordered && channel.Acknowledged,
            MaxRetransmits = channel.MaxRetransmits,
            MaxLifetime = channel.MaxPacketLifeTime,
        };
        _sctp.Send(channel.Id!.Value, (uint)ppid, payload, options);
    }

    public long GetBufferedAmount(ushort streamId) => _sctp.GetBufferedAmount(streamId);

    public Task FlushAsync(CancellationToken cancellationToken) => _sctp.FlushAsync(cancellationToken);

    public void SetBufferedAmountLowThreshold(ushort streamId, long threshold) => _sctp.SetBufferedAmountLowThreshold(streamId, threshold);

    public void Close(RtcDataChannel channel)
    {
        var id = channel.Id!.Value;
        lock (_sync)
        {
            if (!_connected || _closed)
            {
                _waiting.Remove(channel);
                _channels.Remove(id);
                channel.OnClosed(null);
                return;
            }
        }

        try
        {
            _sctp.ResetStreams(id);
        }
        catch (InvalidOperationException e)
        {
            _logger.LogDebug("Closing data channel {Id} without a stream reset: {Message}", id, e.Message);
            Finish(id, null);
        }
    }

    private void Open(RtcDataChannel channel)
    {
        var id = channel.Id!.Value;
        try
        {
            if (channel.Negotiated)
            {
                channel.Acknowledged = true;
            }
            else
            {
                var open = new DataChannelOpenMessage(TypeOf(channel), channel.Priority, ReliabilityOf(channel), channel.Label, channel.Protocol);
                var buffer = new byte[open.EncodedLength];
                open.Write(buffer);
                _sctp.Send(id, (uint)DataChannelPpid.Dcep, buffer);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or SctpException)
        {
            _logger.LogWarning(e, "Could not open data channel {Label} on stream {Id}", channel.Label, id);
            Finish(id, e);
            return;
        }

        // Like browsers, the opener may send at once: user data goes ordered until the ACK (RFC 8832 §6).
        channel.OnOpen();
    }

    /// <summary>A message from the association, over its pooled buffer; true when a lease took the buffer.</summary>
    private bool OnMessage(SctpMessage message, byte[]? buffer)
    {
        if (message.Ppid == (uint)DataChannelPpid.Dcep)
        {
            OnDcep(message.StreamId, message.Payload.Span);
            return false;
        }

        if (Find(message.StreamId) is not { } channel)
        {
            _logger.LogDebug("Dropping a message on stream {Id}, which has no data channel", message.StreamId);
            return false;
        }

        var ppid = (DataChannelPpid)message.Ppid;
        if (!IsKnown(ppid))
        {
            _logger.LogDebug("Dropping a message with unknown PPID {Ppid} on stream {Id}", message.Ppid, message.StreamId);
            return false;
        }

        var delivered = channel.OnMessage(ppid, message.Payload, buffer, _sctp, out var kept);
        if (!delivered)
        {
            _logger.LogWarning(
                "Dropping a message on data channel {Label} (stream {Id}): nothing subscribed to MessageReceived, and {Count} messages or {Bytes} bytes are already held for the first handler",
                channel.Label, message.StreamId, RtcDataChannel.MaxHeldMessages, RtcDataChannel.MaxHeldBytes);
        }

        return kept;
    }

    private static bool IsKnown(DataChannelPpid ppid) => ppid is DataChannelPpid.Dcep or DataChannelPpid.String or DataChannelPpid.BinaryPartial
        or DataChannelPpid.Binary or DataChannelPpid.StringPartial or DataChannelPpid.StringEmpty or DataChannelPpid.BinaryEmpty;

    /// <summary>The channel a peer's DATA_CHANNEL_OPEN announces on stream <paramref name="id"/> (RFC 8832 §5.1), acknowledged.</summary>
    internal static RtcDataChannel CreateAnnounced(DataChannelOpenMessage open, ushort id)
    {
        var kind = (DataChannelType)((byte)open.ChannelType & 0x7f);
        return new RtcDataChannel(open.Label, new RtcDataChannelInit
        {
            Ordered = !open.Unordered,
            Protocol = open.Protocol,
            Priority = open.Priority,
            MaxRetransmits = kind == DataChannelType.PartialReliableRexmit ? (int)Math.Min(open.ReliabilityParameter, int.MaxValue) : null,
            MaxPacketLifeTime = kind == DataChannelType.PartialReliableTimed ? TimeSpan.FromMilliseconds(open.ReliabilityParameter) : null,
        }, id)
        {
            Acknowledged = true,
        };
    }

    private void OnDcep(ushort id, ReadOnlySpan<byte> payload)
    {
        if (payload.Length == 1 && payload[0] == (byte)DcepMessageType.Ack)
        {
            if (Find(id) is { } acked)
            {
                acked.Acknowledged = true;
            }

            return;
        }

        if (!DataChannelOpenMessage.TryParse(payload, out var open))
        {
            _logger.LogDebug("Dropping a malformed DCEP message on stream {Id}", id);
            return;
        }

        // RFC 8832 §6: the peer opens on ids of its own parity.
        var peerParity = _role == DtlsRole.Client ? 1 : 0;
        RtcDataChannel channel;
        lock (_sync)
        {
            if (id % 2 != peerParity || _channels.ContainsKey(id) || !AcceptsPeerChannels())
            {
                _logger.LogWarning("Refusing DATA_CHANNEL_OPEN for '{Label}' on stream {Id}: {Reason}", open!.Label, id,
                    id % 2 != peerParity ? "wrong stream-id parity for the peer's DTLS role"
                    : _channels.ContainsKey(id) ? "the stream is in use"
                    : "nothing handles the DataChannel event");
                channel = null!;
            }
            else
            {
                channel = CreateAnnounced(open!, id);
                _channels[id] = channel;
                channel.Attach(this);
            }
        }

        if (channel is null)
        {
            TryReset(id);
            return;
        }

        try
        {
            _sctp.Send(id, (uint)DataChannelPpid.Dcep, [(byte)DcepMessageType.Ack]);
        }
        catch (Exception e) when (e is InvalidOperationException or SctpException)
        {
            _logger.LogWarning(e, "Could not acknowledge data channel {Label}", channel.Label);
            Finish(id, e);
            return;
        }

        channel.OnOpen();
        _announce(channel);
    }

    private void OnStreamsReset(IReadOnlyList<ushort> ids, bool incoming)
    {
        IEnumerable<ushort> affected;
        lock (_sync)
        {
            affected = ids.Count == 0 ? [.. _channels.Keys] : ids;
        }

        foreach (var id in affected)
        {
            bool done;
            lock (_sync)
            {
                var state = _resets.GetValueOrDefault(id);
                state = incoming ? state with { Incoming = true } : state with { Outgoing = true };
                _resets[id] = state;
                done = state.Incoming && state.Outgoing;
            }

            if (incoming)
            {
                Find(id)?.OnClosing();
            }

            if (done)
            {
                Finish(id, null);
            }
        }
    }

    private void Finish(ushort id, Exception? error)
    {
        RtcDataChannel? channel;
        lock (_sync)
        {
            _resets.Remove(id);
            if (_channels.Remove(id, out channel))
            {
                _waiting.Remove(channel);
            }
        }

        channel?.OnClosed(error);
    }

    private void TryReset(ushort id)
    {
        try
        {
            _sctp.ResetStreams(id);
        }
        catch (InvalidOperationException e)
        {
            _logger.LogDebug("Could not reset stream {Id}: {Message}", id, e.Message);
        }
    }

    private RtcDataChannel? Find(ushort id)
    {
        lock (_sync)
        {
            return _channels.GetValueOrDefault(id);
        }
    }

    private ushort NextFreeIdLocked()
    {
        for (var id = _role == DtlsRole.Client ? 0 : 1; id < ushort.MaxValue; id += 2)
        {
            if (!_channels.ContainsKey((ushort)id))
            {
                return (ushort)id;
            }
        }

        throw new InvalidOperationException("Every stream id of this side's parity is in use.");
    }

    private static DataChannelType TypeOf(RtcDataChannel channel)
    {
        var kind = channel.MaxRetransmits is not null ? DataChannelType.PartialReliableRexmit
            : channel.MaxPacketLifeTime is not null ? DataChannelType.PartialReliableTimed
            : DataChannelType.Reliable;
        return channel.Ordered ? kind : (DataChannelType)((byte)kind | 0x80);
    }

    private static uint ReliabilityOf(RtcDataChannel channel) =>
        channel.MaxRetransmits is { } n ? (uint)n
        : channel.MaxPacketLifeTime is { } t ? (uint)Math.Min(t.TotalMilliseconds, uint.MaxValue)
        : 0;
}
