using P2p.WebRtc.Sctp.Chunks;

namespace P2p.WebRtc.Sctp.Send;

/// <summary>
/// Messages waiting to be cut into DATA chunks, per stream, with a round-robin scheduler between
/// streams at message granularity (fragments of one message take consecutive TSNs, RFC 9260 §6.9).
/// Tracks buffered amounts and raises the low-threshold events; holds back streams with a pending
/// reset; drops partially reliable messages whose lifetime ran out before they were sent (RFC 3758).
/// </summary>
internal sealed class SendQueue(Queue<SctpEvent> events)
{
    private readonly Dictionary<ushort, OutboundStream> _streams = [];
    private readonly Queue<OutboundStream> _ready = new();
    private OutboundMessage? _current;
    private OutboundStream? _currentStream;

    /// <summary>Where message objects come from and go back to once fully acknowledged.</summary>
    public OutboundMessagePool Pool { get; } = new();

    public long TotalBufferedAmount { get; private set; }

    public long TotalLowThreshold { get; set; }

    /// <summary>Messages dropped unsent because their lifetime expired.</summary>
    public long ExpiredUnsent { get; private set; }

    /// <summary>True when a message is being fragmented or a stream is scheduled.</summary>
    public bool HasData => _current is not null || _ready.Count > 0;

    /// <summary>True when nothing is queued on any stream.</summary>
    public bool IsEmpty => TotalBufferedAmount == 0 && _current is null;

    public OutboundStream GetOrCreate(ushort id)
    {
        if (!_streams.TryGetValue(id, out var s))
        {
            s = new OutboundStream(id);
            _streams[id] = s;
        }

        return s;
    }

    public OutboundStream? Find(ushort id) => _streams.GetValueOrDefault(id);

    public void Enqueue(OutboundMessage message)
    {
        var s = GetOrCreate(message.StreamId);
        s.Messages.Enqueue(message);
        s.BufferedAmount += message.Length;
        TotalBufferedAmount += message.Length;
        Schedule(s);
    }

    /// <summary>
    /// Cuts the next fragment: continues the current message or starts the next stream's message in
    /// round-robin order. Returns false when nothing may be sent or the fragment would be tinier
    /// than <paramref name="minFragment"/> while the message needs more.
    /// </summary>
    public bool TryNextFragment(int maxPayload, int minFragment, TimeSpan now, out OutboundMessage message, out int offset, out int length, out byte flags)
    {
        message = null!;
        offset = length = 0;
        flags = 0;
        while (_current is null)
        {
            if (!_ready.TryDequeue(out var s))
            {
                return false;
            }

            s.Scheduled = false;
            if (s.Paused || s.Messages.Count == 0)
            {
                continue;
            }

            var head = s.Messages.Peek();
            if (head.IsPartiallyReliable && head.IsExpired(now))
            {
                // RFC 3758 §3.5 A1: a message whose lifetime expired before transmission is dropped.
                s.Messages.Dequeue();
                ExpiredUnsent++;
                OnRemovedFromHead(s);
                Debit(s, head.Length);
                head.Abandoned = true;
                head.Release();
                Schedule(s);
                continue;
            }

            _current = head;
            _currentStream = s;
        }

        var m = _current;
        var remaining = m.Length - m.BytesFragmented;
        length = Math.Min(remaining, maxPayload);
        if (length < remaining && length < minFragment)
        {
            length = 0;
            return false;
        }

        offset = m.BytesFragmented;
        if (offset == 0)
        {
            flags |= DataChunk.FlagBeginning;
            if (m.Unordered)
            {
                flags |= DataChunk.FlagUnordered;
            }
            else
            {
                var st = _currentStream!;
                m.Ssn = st.NextSsn;
                st.NextSsn++;
            }
        }
        else if (m.Unordered)
        {
            flags |= DataChunk.FlagUnordered;
        }

        m.BytesFragmented += length;
        message = m;
        var stream = _currentStream!;
        Debit(stream, length);
        if (m.FullyFragmented)
        {
            flags |= DataChunk.FlagEnd;
            FinishCurrent();
        }

        return true;
    }

    /// <summary>Called when the retransmission queue abandons a message: drops its unsent remainder.</summary>
    public void OnAbandoned(OutboundMessage message)
    {
        if (ReferenceEquals(message, _current))
        {
            var unsent = message.Length - message.BytesFragmented;
            message.BytesFragmented = message.Length;
            Debit(_currentStream!, unsent);
            FinishCurrent();
        }
    }

    /// <summary>Marks a stream for reset: queued messages go first, then it pauses (RFC 6525 §5.1.2).</summary>
    public void RequestReset(ushort id)
    {
        var s = GetOrCreate(id);
        if (s.ResetPending)
        {
            return;
        }

        s.ResetPending = true;
        s.MessagesBeforeReset = s.Messages.Count;
    }

    /// <summary>True when the stream's reset may be requested now (everything before it has a TSN).</summary>
    public bool IsReadyForReset(ushort id)
        => _streams.TryGetValue(id, out var s) && s.Paused && !ReferenceEquals(_currentStream, s);

    /// <summary>The reset completed: sequence numbers restart at 0 and held messages may go.</summary>
    public void CompleteReset(ushort id, bool performed)
    {
        if (!_streams.TryGetValue(id, out var s))
        {
            return;
        }

        if (performed)
        {
            s.NextSsn = 0;
        }

        s.ResetPending = false;
        s.MessagesBeforeReset = 0;
        Schedule(s);
    }

    public long GetBufferedAmount(ushort id) => _streams.TryGetValue(id, out var s) ? s.BufferedAmount : 0;

    public void SetLowThreshold(ushort id, long bytes) => GetOrCreate(id).LowThreshold = bytes;

    public long GetLowThreshold(ushort id) => _streams.TryGetValue(id, out var s) ? s.LowThreshold : 0;

    /// <summary>Drops everything queued (on close), returning buffers to the pool.</summary>
    public void Clear()
    {
        foreach (var s in _streams.Values)
        {
            while (s.Messages.TryDequeue(out var m))
            {
                m.Release();
            }

            s.BufferedAmount = 0;
        }

        _ready.Clear();
        _current = null;
        _currentStream = null;
        TotalBufferedAmount = 0;
    }

    private void FinishCurrent()
    {
        var s = _currentStream!;
        s.Messages.Dequeue();
        OnRemovedFromHead(s);
        _current = null;
        _currentStream = null;
        Schedule(s);
    }

    private static void OnRemovedFromHead(OutboundStream s)
    {
        if (s.MessagesBeforeReset > 0)
        {
            s.MessagesBeforeReset--;
        }
    }

    private void Schedule(OutboundStream s)
    {
        if (!s.Scheduled && !s.Paused && s.Messages.Count > 0 && !ReferenceEquals(s, _currentStream))
        {
            s.Scheduled = true;
            _ready.Enqueue(s);
        }
    }

    private void Debit(OutboundStream s, long bytes)
    {
        if (bytes == 0)
        {
            return;
        }

        var before = s.BufferedAmount;
        s.BufferedAmount -= bytes;
        if (before > s.LowThreshold && s.BufferedAmount <= s.LowThreshold)
        {
            events.Enqueue(new SctpEvent { Type = SctpEventType.BufferedAmountLow, StreamId = s.Id });
        }

        var totalBefore = TotalBufferedAmount;
        TotalBufferedAmount -= bytes;
        if (totalBefore > TotalLowThreshold && TotalBufferedAmount <= TotalLowThreshold)
        {
            events.Enqueue(new SctpEvent { Type = SctpEventType.TotalBufferedAmountLow });
        }
    }
}
