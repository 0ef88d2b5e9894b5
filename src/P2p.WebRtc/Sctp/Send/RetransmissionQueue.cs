using P2p.WebRtc.Sctp.Chunks;

namespace P2p.WebRtc.Sctp.Send;

/// <summary>
/// The DATA chunks sent and not yet cumulatively acknowledged, in a ring indexed by TSN (no per-chunk
/// allocation, no per-chunk timer: one T3-rtx per association, RFC 9260 §6.3.2). Handles SACKs
/// (§6.2.1) touching only what changed — newly reported gap ranges and the holes below the highest
/// newly acknowledged chunk — with miss indications in transmission order (a refinement of the
/// HTNA rule of §7.2.4 that also detects lost retransmissions without waiting for T3), fast
/// retransmit marking, T3-rtx marking (§6.3.3), the retransmission order
/// (lowest TSN first) and PR-SCTP abandonment, Advanced.Peer.Ack.Point and FORWARD TSN (RFC 3758 §3.5).
/// </summary>
internal sealed class RetransmissionQueue
{
    private readonly SendQueue _sendQueue;
    private readonly PriorityQueue<uint, long> _retransmit = new();
    private readonly List<(uint Start, uint End)> _previousGaps = [];
    private readonly List<(int Start, int End)> _gaps = [];
    private readonly List<(int Start, int End)> _previousOffsets = [];
    private readonly List<ForwardTsnStream> _forwardStreams = [];
    // Starts small (an idle association costs 3 KiB, not 48) and doubles as the window fills.
    private Entry[] _ring = new Entry[64];
    private int _mask = 63;
    private uint _head;
    private long _headUnwrapped;
    private int _count;
    private long _sendSeq;

    public RetransmissionQueue(uint initialTsn, SendQueue sendQueue)
    {
        _head = initialTsn;
        AdvancedPeerAckPoint = initialTsn - 1;
        _sendQueue = sendQueue;
    }

    private enum ChunkState : byte
    {
        Free = 0,
        InFlight,
        Acked,
        NeedsRetransmit,
        Abandoned,
    }

    /// <summary>True when the peer supports PR-SCTP (RFC 3758 §3.3: otherwise nothing is abandoned).</summary>
    public bool PartialReliabilitySupported { get; set; }

    /// <summary>The highest TSN the peer acknowledged cumulatively.</summary>
    public uint CumulativeTsnAck => _head - 1;

    /// <summary>The next TSN to assign.</summary>
    public uint NextTsn => _head + (uint)_count;

    /// <summary>Payload bytes in flight (sent, not acknowledged, not marked for retransmission).</summary>
    public long BytesInFlight { get; private set; }

    /// <summary>Advanced.Peer.Ack.Point (RFC 3758 §3.5).</summary>
    public uint AdvancedPeerAckPoint { get; private set; }

    /// <summary>Chunks not yet cumulatively acknowledged (abandoned ones included).</summary>
    public int Count => _count;

    /// <summary>True when a FORWARD TSN is due (RFC 3758 §3.5 C3).</summary>
    public bool ForwardTsnNeeded => SerialNumber.Gt(AdvancedPeerAckPoint, CumulativeTsnAck);

    /// <summary>True when some chunk waits for retransmission (may include stale entries).</summary>
    public bool HasRetransmissions => _retransmit.Count > 0;

    public long MessagesAbandoned { get; private set; }

    public long Retransmissions { get; private set; }

    /// <summary>Assigns the next TSN to a fragment and records it as in flight.</summary>
    public uint Add(OutboundMessage message, int offset, int length, byte flags, TimeSpan now)
    {
        if (_count == _ring.Length)
        {
            Grow();
        }

        var tsn = NextTsn;
        ref var e = ref _ring[tsn & _mask];
        e.Message = message;
        e.Offset = offset;
        e.Length = length;
        e.Ssn = message.Ssn;
        e.Flags = (byte)(flags & (DataChunk.FlagBeginning | DataChunk.FlagEnd | DataChunk.FlagUnordered));
        e.State = ChunkState.InFlight;
        e.TransmitCount = 1;
        e.SentAt = now;
        e.SendSeq = ++_sendSeq;
        e.MissCount = 0;
        e.FastRetransmitted = false;
        _count++;
        BytesInFlight += length;
        if (offset == 0)
        {
            message.FirstTsn = tsn;
        }

        message.FragmentsAssigned++;
        message.FragmentsUnacked++;
        return tsn;
    }

    /// <summary>Processes a SACK (RFC 9260 §6.2.1, §7.2.4).</summary>
    public SackOutcome HandleSack(in SackChunk sack, TimeSpan now, bool inFastRecovery)
    {
        var result = default(SackOutcome);
        var cum = sack.CumulativeTsnAck;
        if (SerialNumber.Lt(cum, CumulativeTsnAck))
        {
            return result;
        }

        if (SerialNumber.Ge(cum, NextTsn))
        {
            result.ProtocolViolation = true;
            return result;
        }

        result.Accepted = true;
        var ack = new AckTracker();

        // Cumulative part.
        while (SerialNumber.Le(_head, cum))
        {
            ref var e = ref _ring[_head & _mask];
            if (e.State == ChunkState.InFlight)
            {
                BytesInFlight -= e.Length;
            }

            if (e.State is ChunkState.InFlight or ChunkState.NeedsRetransmit)
            {
                result.BytesNewlyAcked += e.Length;
                ack.Note(ref e);
            }

            var m = e.Message;
            e = default;
            m.FragmentsUnacked--;
            if (m.FragmentsUnacked == 0 && (m.FullyFragmented || m.Abandoned))
            {
                // Every fragment is acknowledged and the send queue is done with it (fully fragmented,
                // or abandoned and dropped from the queue): nothing refers to the message any more.
                _sendQueue.Pool.Return(m);
            }

            _head++;
            _headUnwrapped++;
            _count--;
            result.CumAdvanced = true;
        }

        if (SerialNumber.Lt(AdvancedPeerAckPoint, CumulativeTsnAck))
        {
            AdvancedPeerAckPoint = CumulativeTsnAck;
        }

        // Gap blocks as offsets from the first unacknowledged TSN; malformed or unsorted blocks end the list.
        _gaps.Clear();
        var limit = _count - 1;
        var lastEnd = -1;
        for (var i = 0; i < sack.GapAckBlockCount; i++)
        {
            var block = sack.GetGapAckBlock(i);
            int start = block.Start - 1;
            int end = block.End - 1;
            if (block.Start == 0 || end < start || start <= lastEnd || start > limit)
            {
                break;
            }

            end = Math.Min(end, limit);
            _gaps.Add((start, end));
            lastEnd = end;
        }

        // Newly reported ranges = new gaps minus the gaps of the previous SACK.
        _previousOffsets.Clear();
        foreach (var (s, e) in _previousGaps)
        {
            int so = (int)(s - _head), eo = (int)(e - _head);
            if (eo >= 0)
            {
                _previousOffsets.Add((Math.Max(so, 0), eo));
            }
        }

        var j = 0;
        foreach (var (gs, ge) in _gaps)
        {
            var s = gs;
            while (s <= ge)
            {
                while (j < _previousOffsets.Count && _previousOffsets[j].End < s)
                {
                    j++;
                }

                if (j < _previousOffsets.Count && _previousOffsets[j].Start <= s)
                {
                    s = _previousOffsets[j].End + 1;
                    continue;
                }

                var e = j < _previousOffsets.Count ? Math.Min(ge, _previousOffsets[j].Start - 1) : ge;
                for (var k = s; k <= e; k++)
                {
                    ref var entry = ref _ring[(_head + (uint)k) & _mask];
                    if (entry.State == ChunkState.InFlight)
                    {
                        BytesInFlight -= entry.Length;
                    }

                    if (entry.State is ChunkState.InFlight or ChunkState.NeedsRetransmit)
                    {
                        ack.Note(ref entry);
                        entry.State = ChunkState.Acked;
                        result.BytesNewlyAcked += entry.Length;
                    }
                }

                s = e + 1;
            }
        }

        _previousGaps.Clear();
        foreach (var (s, e) in _gaps)
        {
            _previousGaps.Add((_head + (uint)s, _head + (uint)e));
        }

        // Miss indications for the holes (§7.2.4): chunks sent before a newly acknowledged one, or
        // all reported holes when in fast recovery and the cumulative ack advanced.
        var countAll = inFastRecovery && result.CumAdvanced;
        if (_gaps.Count > 0 && (countAll || ack.HighestSendSeq > 0))
        {
            var previousEnd = -1;
            foreach (var (s, e) in _gaps)
            {
                for (var k = previousEnd + 1; k < s; k++)
                {
                    var tsn = _head + (uint)k;
                    ref var entry = ref _ring[tsn & _mask];
                    // A chunk already fast-retransmitted only collects misses from chunks sent after that
                    // retransmission (lost-retransmission detection in transmission order, as RACK does).
                    var sentBeforeAcked = entry.SendSeq < ack.HighestSendSeq;
                    if (entry.State == ChunkState.InFlight && (entry.FastRetransmitted ? sentBeforeAcked : countAll || sentBeforeAcked))
                    {
                        entry.MissCount++;
                        if (entry.MissCount >= 3 && MarkForRetransmission(ref entry, tsn, now, fast: true))
                        {
                            result.NewFastRetransmits++;
                        }
                    }
                }

                previousEnd = e;
            }
        }

        if (ack.RttSendSeq > 0)
        {
            result.RttSample = now - ack.RttSentAt;
        }

        AdvanceAckPoint();
        return result;
    }

    /// <summary>
    /// T3-rtx expiry (§6.3.3 E3): every chunk in flight is marked for retransmission. When the first
    /// unacknowledged chunk is one the peer had reported received, the peer reneged (§6.2.1): the
    /// gap-acknowledged chunks are marked too.
    /// </summary>
    public int MarkAllForRetransmission(TimeSpan now)
    {
        var renege = _count > 0 && _ring[_head & _mask].State == ChunkState.Acked;
        var marked = 0;
        for (var k = 0; k < _count; k++)
        {
            var tsn = _head + (uint)k;
            ref var e = ref _ring[tsn & _mask];
            if ((e.State == ChunkState.InFlight || (renege && e.State == ChunkState.Acked)) && MarkForRetransmission(ref e, tsn, now, fast: false))
            {
                marked++;
            }
        }

        if (renege)
        {
            _previousGaps.Clear();
        }

        AdvanceAckPoint();
        return marked;
    }

    /// <summary>
    /// The lowest-TSN chunk waiting for retransmission, skipping stale entries and abandoning
    /// expired partially reliable messages on the way (RFC 3758 §3.5 A3).
    /// </summary>
    public bool TryPeekRetransmission(TimeSpan now, out uint tsn, out int length)
    {
        while (_retransmit.TryPeek(out tsn, out _))
        {
            if ((uint)(tsn - _head) >= (uint)_count)
            {
                _retransmit.Dequeue();
                continue;
            }

            ref var e = ref _ring[tsn & _mask];
            if (e.State != ChunkState.NeedsRetransmit)
            {
                _retransmit.Dequeue();
                continue;
            }

            if (PartialReliabilitySupported && e.Message.IsPartiallyReliable && e.Message.IsExpired(now))
            {
                _retransmit.Dequeue();
                Abandon(e.Message);
                continue;
            }

            length = e.Length;
            return true;
        }

        length = 0;
        return false;
    }

    /// <summary>Writes the chunk found by <see cref="TryPeekRetransmission"/> and puts it back in flight.</summary>
    public int WriteRetransmission(uint tsn, Span<byte> destination, TimeSpan now)
    {
        _retransmit.Dequeue();
        ref var e = ref _ring[tsn & _mask];
        var m = e.Message;
        var written = DataChunk.Write(destination, e.Flags, tsn, m.StreamId, e.Ssn, m.Ppid, m.Data(e.Offset, e.Length));
        e.State = ChunkState.InFlight;
        e.TransmitCount++;
        e.SentAt = now;
        e.SendSeq = ++_sendSeq;
        e.MissCount = 0;
        BytesInFlight += e.Length;
        Retransmissions++;
        return written;
    }

    /// <summary>Abandons a message (RFC 3758 §3.5): all its fragments, including unsent ones.</summary>
    public void Abandon(OutboundMessage message)
    {
        if (message.Abandoned)
        {
            return;
        }

        message.Abandoned = true;
        MessagesAbandoned++;
        for (var k = 0; k < message.FragmentsAssigned; k++)
        {
            var tsn = message.FirstTsn + (uint)k;
            if ((uint)(tsn - _head) >= (uint)_count)
            {
                continue;
            }

            ref var e = ref _ring[tsn & _mask];
            if (e.State == ChunkState.InFlight)
            {
                BytesInFlight -= e.Length;
            }

            e.State = ChunkState.Abandoned;
        }

        _sendQueue.OnAbandoned(message);
        message.Release();
        AdvanceAckPoint();
    }

    /// <summary>
    /// Writes a FORWARD TSN (RFC 3758 §3.2) for the current Advanced.Peer.Ack.Point, listing the last
    /// abandoned SSN of each ordered stream; returns 0 when it does not fit in <paramref name="room"/> bytes.
    /// </summary>
    public int WriteForwardTsn(Span<byte> destination, int room)
    {
        _forwardStreams.Clear();
        var newCum = AdvancedPeerAckPoint;
        var span = (int)(AdvancedPeerAckPoint - CumulativeTsnAck);
        for (var k = 0; k < span; k++)
        {
            var tsn = _head + (uint)k;
            ref var e = ref _ring[tsn & _mask];
            if (e.State != ChunkState.Abandoned || (e.Flags & DataChunk.FlagUnordered) != 0)
            {
                continue;
            }

            var sid = e.Message.StreamId;
            var found = false;
            for (var i = 0; i < _forwardStreams.Count; i++)
            {
                if (_forwardStreams[i].StreamId == sid)
                {
                    if (SerialNumber.Gt(e.Ssn, _forwardStreams[i].Ssn))
                    {
                        _forwardStreams[i] = new ForwardTsnStream(sid, e.Ssn);
                    }

                    found = true;
                    break;
                }
            }

            if (!found)
            {
                if (ForwardTsnChunk.SizeOf(_forwardStreams.Count + 1) > room)
                {
                    // Too many streams for one chunk: forward only up to just before this one.
                    newCum = tsn - 1;
                    break;
                }

                _forwardStreams.Add(new ForwardTsnStream(sid, e.Ssn));
            }
        }

        if (!SerialNumber.Gt(newCum, CumulativeTsnAck) || ForwardTsnChunk.SizeOf(_forwardStreams.Count) > room)
        {
            return 0;
        }

        return ForwardTsnChunk.Write(destination, newCum, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_forwardStreams));
    }

    /// <summary>Drops everything (association closed), returning buffers.</summary>
    public void Clear()
    {
        for (var k = 0; k < _count; k++)
        {
            ref var e = ref _ring[(_head + (uint)k) & _mask];
            e.Message?.Release();
            e = default;
        }

        _head += (uint)_count;
        _count = 0;
        BytesInFlight = 0;
        _retransmit.Clear();
        _previousGaps.Clear();
    }

    private bool MarkForRetransmission(ref Entry e, uint tsn, TimeSpan now, bool fast)
    {
        var m = e.Message;
        if (PartialReliabilitySupported && m.IsPartiallyReliable
            && ((m.MaxRetransmits >= 0 && e.TransmitCount > m.MaxRetransmits) || m.IsExpired(now)))
        {
            Abandon(m);
            return false;
        }

        if (e.State == ChunkState.InFlight)
        {
            BytesInFlight -= e.Length;
        }

        e.State = ChunkState.NeedsRetransmit;
        e.FastRetransmitted |= fast;
        _retransmit.Enqueue(tsn, _headUnwrapped + (int)(tsn - _head));
        return true;
    }

    private void AdvanceAckPoint()
    {
        var point = SerialNumber.Max(AdvancedPeerAckPoint, CumulativeTsnAck);
        while (true)
        {
            var next = point + 1;
            if ((uint)(next - _head) >= (uint)_count || _ring[next & _mask].State != ChunkState.Abandoned)
            {
                break;
            }

            point = next;
        }

        AdvancedPeerAckPoint = point;
    }

    private void Grow()
    {
        var bigger = new Entry[_ring.Length * 2];
        var mask = bigger.Length - 1;
        for (var k = 0; k < _count; k++)
        {
            var tsn = _head + (uint)k;
            bigger[tsn & mask] = _ring[tsn & _mask];
        }

        _ring = bigger;
        _mask = mask;
    }

    private struct Entry
    {
        public OutboundMessage Message;
        public TimeSpan SentAt;
        public long SendSeq;
        public int Offset;
        public int Length;
        public int TransmitCount;
        public ushort Ssn;
        public byte Flags;
        public ChunkState State;
        public byte MissCount;
        public bool FastRetransmitted;
    }

    private struct AckTracker
    {
        public long HighestSendSeq;
        public long RttSendSeq;
        public TimeSpan RttSentAt;

        public void Note(ref Entry e)
        {
            if (e.SendSeq > HighestSendSeq)
            {
                HighestSendSeq = e.SendSeq;
            }

            // Karn's rule (RFC 9260 §6.3.1 C5): only chunks sent once and never marked for retransmission.
            if (e.TransmitCount == 1 && e.State == ChunkState.InFlight && e.SendSeq > RttSendSeq)
            {
                RttSendSeq = e.SendSeq;
                RttSentAt = e.SentAt;
            }
        }
    }
}
