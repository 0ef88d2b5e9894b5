using P2p.WebRtc.Sctp.Chunks;

namespace P2p.WebRtc.Sctp.Receive;

/// <summary>
/// Turns received DATA chunks into user messages (RFC 9260 §6.5, §6.6, §6.9).
/// <para>
/// Chunks at or below the cumulative TSN are processed strictly in TSN order: since the fragments
/// of one message carry consecutive TSNs and the sender assigns stream sequence numbers in TSN
/// order, one running assembly suffices and ordered messages come out in SSN order. The in-order
/// chunk of a packet is appended straight from the packet (no buffering). Chunks above a gap wait in
/// a ring indexed by TSN; a complete unordered message there — or an ordered one whose SSN is the
/// stream's next — is delivered at once instead of waiting for the gap.
/// </para>
/// <para>
/// Also applies FORWARD TSN skips (RFC 3758 §3.6) and incoming stream resets, deferred until the
/// cumulative TSN reaches the sender's last assigned TSN (RFC 6525 §5.2.2).
/// </para>
/// </summary>
internal sealed class ReassemblyQueue
{
    private const int EarlyDeliveryMaxFragments = 512;

    /// <summary>The smallest buffer an assembly of several fragments starts with.</summary>
    private const int MinAssemblyBuffer = 16 * 1024;

    /// <summary>
    /// Out-of-order chunk buffers kept for reuse at least (about 0.6 MiB with 1.2 KB packets); up to a receive window's
    /// worth are kept, as a loss under bulk load fills the whole window above the gap and again at the next loss.
    /// </summary>
    private const int MinRetainedChunkBuffers = 512;
    private readonly Queue<SctpEvent> _events;
    private readonly int _maxMessageSize;
    private readonly int _maxWindow;
    private readonly Dictionary<ushort, ushort> _expectedSsn = [];
    private readonly List<DeferredReset> _deferred = [];
    private readonly PacketBufferPool _chunkBuffers;
    private Slot[] _slots = new Slot[256];
    private int _mask = 255;
    private uint _processed;

    private bool _assembling;
    private ushort _asmStream;
    private ushort _asmSsn;
    private uint _asmPpid;
    private bool _asmUnordered;
    private byte[] _asmBuffer = [];
    private int _asmLength;

    /// <summary>The last assembled message's length: what the next assembly rents at first (bulk messages repeat a size).</summary>
    private int _asmHint = MinAssemblyBuffer;

    /// <param name="peerInitialTsn">The peer's initial TSN.</param>
    /// <param name="maxMessageSize">The largest message accepted.</param>
    /// <param name="maxWindow">How far above the cumulative TSN chunks are accepted, in TSNs.</param>
    /// <param name="events">Where delivered messages go.</param>
    /// <param name="chunkBufferSize">The size of the buffers that hold out-of-order chunks (a packet's size fits any chunk of it).</param>
    /// <param name="receiveWindowBytes">The advertised receive window: how many out-of-order chunk buffers are kept for reuse.</param>
    public ReassemblyQueue(uint peerInitialTsn, int maxMessageSize, int maxWindow, Queue<SctpEvent> events, int chunkBufferSize = 1200, int receiveWindowBytes = 0)
    {
        _chunkBuffers = new PacketBufferPool(chunkBufferSize, Math.Max(MinRetainedChunkBuffers, (receiveWindowBytes / chunkBufferSize) + 1));
        _processed = peerInitialTsn - 1;
        _maxMessageSize = maxMessageSize;
        _maxWindow = maxWindow;
        _events = events;
    }

    private enum SlotState : byte
    {
        Empty = 0,
        Present,
        Consumed,
    }

    /// <summary>Bytes of out-of-order chunks held (what reduces the advertised window).</summary>
    public long BufferedBytes { get; private set; }

    /// <summary>
    /// The memory out-of-order chunks hold: their buffers' sizes, a packet's size each however small the chunk. This,
    /// not <see cref="BufferedBytes"/>, is what many tiny chunks above a gap grow.
    /// </summary>
    public long HeldBufferBytes { get; private set; }

    /// <summary>Set when the peer sent a message larger than the limit; the association aborts.</summary>
    public bool MessageTooLarge { get; private set; }

    public long MessagesDelivered { get; private set; }

    /// <summary>Incoming resets performed since last drained (request sequence number, streams).</summary>
    public List<(uint RequestSequenceNumber, ushort[] Streams)> PerformedResets { get; } = [];

    /// <summary>True when a chunk with this TSN fits the reassembly window.</summary>
    public bool InWindow(uint tsn)
    {
        var offset = tsn - _processed;
        return offset >= 1 && offset <= (uint)_maxWindow;
    }

    /// <summary>Adds a new (non-duplicate) chunk; <paramref name="cumulativeTsn"/> is the tracker's value after it.</summary>
    public void Add(in DataChunk chunk, uint cumulativeTsn)
    {
        var tsn = chunk.Tsn;
        if (tsn == _processed + 1)
        {
            Process(chunk.Flags, chunk.StreamId, chunk.Ssn, chunk.Ppid, chunk.UserData);
            Advance(tsn);
        }
        else
        {
            EnsureCapacity(tsn - _processed);
            ref var s = ref _slots[tsn & _mask];
            var buffer = _chunkBuffers.Rent(chunk.UserData.Length);
            chunk.UserData.CopyTo(buffer);
            s.Buffer = buffer;
            s.Length = chunk.UserData.Length;
            s.Ppid = chunk.Ppid;
            s.Stream = chunk.StreamId;
            s.Ssn = chunk.Ssn;
            s.Flags = chunk.Flags;
            s.State = SlotState.Present;
            BufferedBytes += s.Length;
            HeldBufferBytes += buffer.Length;
            TryEarlyDelivery(tsn);
        }

        Drain(cumulativeTsn);
    }

    /// <summary>Accounts for a chunk that is acknowledged but not delivered (invalid stream).</summary>
    public void AddDiscarded(uint tsn, uint cumulativeTsn)
    {
        if (tsn == _processed + 1)
        {
            DiscardAssembly();
            Advance(tsn);
        }
        else
        {
            EnsureCapacity(tsn - _processed);
            _slots[tsn & _mask] = new Slot { State = SlotState.Consumed };
        }

        Drain(cumulativeTsn);
    }

    /// <summary>
    /// Applies a FORWARD TSN (RFC 3758 §3.6): processes what arrived up to the new cumulative TSN,
    /// drops the partial message that was abandoned, moves each listed ordered stream past the
    /// skipped SSN, then continues with what follows.
    /// </summary>
    public void ForwardTo(uint newCumulativeTsn, in ForwardTsnChunk forward, uint cumulativeTsn)
    {
        if (SerialNumber.Gt(newCumulativeTsn, _processed))
        {
            Drain(newCumulativeTsn);
            DiscardAssembly();
        }

        for (var i = 0; i < forward.StreamCount; i++)
        {
            var entry = forward.GetStream(i);
            var expected = _expectedSsn.GetValueOrDefault(entry.StreamId);
            if (!SerialNumber.Lt(entry.Ssn, expected))
            {
                _expectedSsn[entry.StreamId] = (ushort)(entry.Ssn + 1);
            }
        }

        Drain(cumulativeTsn);
    }

    /// <summary>
    /// Resets incoming streams (their next expected SSN becomes 0) once every TSN up to
    /// <paramref name="lastTsn"/> has been processed (RFC 6525 §5.2.2); true when done at once.
    /// </summary>
    public bool ScheduleReset(uint requestSequenceNumber, uint lastTsn, ushort[] streams)
    {
        if (SerialNumber.Le(lastTsn, _processed))
        {
            PerformReset(requestSequenceNumber, streams);
            return true;
        }

        var i = _deferred.Count;
        while (i > 0 && SerialNumber.Gt(_deferred[i - 1].LastTsn, lastTsn))
        {
            i--;
        }

        _deferred.Insert(i, new DeferredReset(requestSequenceNumber, lastTsn, streams));
        return false;
    }

    /// <summary>How many incoming resets wait for data.</summary>
    public int DeferredResetCount => _deferred.Count;

    /// <summary>True when a reset with this last TSN would be performed at once (everything up to it processed).</summary>
    public bool IsResetDue(uint lastTsn) => SerialNumber.Le(lastTsn, _processed);

    /// <summary>True when a reset for this request is waiting for data.</summary>
    public bool IsResetDeferred(uint requestSequenceNumber)
    {
        foreach (var d in _deferred)
        {
            if (d.RequestSequenceNumber == requestSequenceNumber)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Returns every buffer to the pool (association closed).</summary>
    public void Clear()
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].Buffer is { } b)
            {
                HeldBufferBytes -= b.Length;
                _chunkBuffers.Return(b);
            }

            _slots[i] = default;
        }

        BufferedBytes = 0;
        if (_asmBuffer.Length > 0)
        {
            MessageBufferPool.Shared.Return(_asmBuffer);
            _asmBuffer = [];
        }

        _assembling = false;
    }

    private void Drain(uint cumulativeTsn)
    {
        while (_processed != cumulativeTsn && SerialNumber.Lt(_processed, cumulativeTsn))
        {
            var tsn = _processed + 1;
            ref var s = ref _slots[tsn & _mask];
            switch (s.State)
            {
                case SlotState.Present:
                    Process(s.Flags, s.Stream, s.Ssn, s.Ppid, s.Buffer.AsSpan(0, s.Length));
                    BufferedBytes -= s.Length;
                    HeldBufferBytes -= s.Buffer!.Length;
                    _chunkBuffers.Return(s.Buffer);
                    break;
                default:
                    // Consumed by early delivery or discarded, or skipped by FORWARD TSN: no running
                    // message can continue across it.
                    if (s.State == SlotState.Empty || _assembling)
                    {
                        DiscardAssembly();
                    }

                    break;
            }

            s = default;
            Advance(tsn);
        }
    }

    private void Advance(uint tsn)
    {
        _processed = tsn;
        while (_deferred.Count > 0 && SerialNumber.Le(_deferred[0].LastTsn, _processed))
        {
            var d = _deferred[0];
            _deferred.RemoveAt(0);
            PerformReset(d.RequestSequenceNumber, d.Streams);
        }
    }

    private void PerformReset(uint requestSequenceNumber, ushort[] streams)
    {
        if (streams.Length == 0)
        {
            _expectedSsn.Clear();
        }
        else
        {
            foreach (var id in streams)
            {
                _expectedSsn.Remove(id);
            }
        }

        PerformedResets.Add((requestSequenceNumber, streams));
    }

    private void Process(byte flags, ushort stream, ushort ssn, uint ppid, ReadOnlySpan<byte> data)
    {
        var unordered = (flags & DataChunk.FlagUnordered) != 0;
        if ((flags & DataChunk.FlagBeginning) != 0)
        {
            DiscardAssembly();
            if ((flags & DataChunk.FlagEnd) != 0)
            {
                if (data.Length > _maxMessageSize)
                {
                    MessageTooLarge = true;
                    return;
                }

                var whole = MessageBufferPool.Shared.Rent(data.Length);
                data.CopyTo(whole);
                Deliver(stream, ssn, ppid, unordered, whole, data.Length);
                return;
            }

            _assembling = true;
            _asmStream = stream;
            _asmSsn = ssn;
            _asmPpid = ppid;
            _asmUnordered = unordered;
            _asmLength = 0;
        }
        else if (!_assembling || _asmStream != stream || _asmUnordered != unordered || (!unordered && _asmSsn != ssn))
        {
            // A middle or last fragment without its beginning (its message was abandoned): drop it.
            DiscardAssembly();
            return;
        }

        if (_asmLength + (long)data.Length > _maxMessageSize)
        {
            MessageTooLarge = true;
            DiscardAssembly();
            return;
        }

        if (_asmBuffer.Length < _asmLength + data.Length)
        {
            var size = _asmBuffer.Length == 0 ? _asmHint : _asmBuffer.Length * 2;
            var bigger = MessageBufferPool.Shared.Rent(Math.Max(_asmLength + data.Length, size));
            _asmBuffer.AsSpan(0, _asmLength).CopyTo(bigger);
            if (_asmBuffer.Length > 0)
            {
                MessageBufferPool.Shared.Return(_asmBuffer);
            }

            _asmBuffer = bigger;
        }

        data.CopyTo(_asmBuffer.AsSpan(_asmLength));
        _asmLength += data.Length;
        if ((flags & DataChunk.FlagEnd) != 0)
        {
            // The buffer goes with the message (the receiver returns it to the pool); the next assembly rents another.
            _assembling = false;
            var message = _asmBuffer;
            _asmBuffer = [];
            _asmHint = Math.Max(_asmLength, MinAssemblyBuffer);
            Deliver(_asmStream, _asmSsn, _asmPpid, _asmUnordered, message, _asmLength);
            _asmLength = 0;
        }
    }

    private void DiscardAssembly()
    {
        _assembling = false;
        _asmLength = 0;
    }

    /// <summary>Queues a whole message; <paramref name="buffer"/> (from <see cref="MessageBufferPool"/>) goes with it.</summary>
    private void Deliver(ushort stream, ushort ssn, uint ppid, bool unordered, byte[] buffer, int length)
    {
        if (!unordered)
        {
            var expected = _expectedSsn.GetValueOrDefault(stream);
            if (ssn != expected && SerialNumber.Lt(ssn, expected))
            {
                // Older than what was delivered: only a misbehaving peer sends this.
                MessageBufferPool.Shared.Return(buffer);
                return;
            }

            _expectedSsn[stream] = (ushort)(ssn + 1);
        }

        MessagesDelivered++;
        _events.Enqueue(new SctpEvent
        {
            Type = SctpEventType.MessageReceived,
            Message = new SctpMessage(stream, ppid, buffer.AsMemory(0, length), unordered),
            Rented = buffer,
        });
    }

    /// <summary>
    /// Delivers the message containing the chunk just stored at <paramref name="tsn"/> if all its
    /// fragments are here and it may go before the gap: unordered, or ordered with the next SSN.
    /// </summary>
    private void TryEarlyDelivery(uint tsn)
    {
        while (true)
        {
            ref var first = ref _slots[tsn & _mask];
            var stream = first.Stream;
            var ssn = first.Ssn;
            var unordered = (first.Flags & DataChunk.FlagUnordered) != 0;
            if (!unordered && (_deferred.Count > 0 || ssn != _expectedSsn.GetValueOrDefault(stream)))
            {
                return;
            }

            // Forward to the last fragment (stops at once while later fragments are still missing).
            var end = tsn;
            var count = 1;
            while ((_slots[end & _mask].Flags & DataChunk.FlagEnd) == 0)
            {
                end++;
                if (++count > EarlyDeliveryMaxFragments || !IsStored(end) || !SameMessage(end, stream, ssn, unordered, allowBegin: false))
                {
                    return;
                }
            }

            var begin = tsn;
            while ((_slots[begin & _mask].Flags & DataChunk.FlagBeginning) == 0)
            {
                begin--;
                if (++count > EarlyDeliveryMaxFragments || !IsStored(begin) || !SameMessage(begin, stream, ssn, unordered, allowBegin: true)
                    || (_slots[begin & _mask].Flags & DataChunk.FlagEnd) != 0)
                {
                    return;
                }
            }

            long total = 0;
            for (var t = begin; t != end + 1; t++)
            {
                total += _slots[t & _mask].Length;
            }

            if (total > _maxMessageSize)
            {
                MessageTooLarge = true;
                return;
            }

            var payload = MessageBufferPool.Shared.Rent((int)total);
            var offset = 0;
            var ppid = _slots[begin & _mask].Ppid;
            for (var t = begin; t != end + 1; t++)
            {
                ref var s = ref _slots[t & _mask];
                s.Buffer.AsSpan(0, s.Length).CopyTo(payload.AsSpan(offset));
                offset += s.Length;
                BufferedBytes -= s.Length;
                HeldBufferBytes -= s.Buffer!.Length;
                _chunkBuffers.Return(s.Buffer);
                s = new Slot { State = SlotState.Consumed };
            }

            Deliver(stream, ssn, ppid, unordered, payload, (int)total);
            if (unordered)
            {
                return;
            }

            // The same stream's next message often follows directly: try it too.
            var next = end + 1;
            if (!IsStored(next) || (_slots[next & _mask].Flags & DataChunk.FlagBeginning) == 0 || _slots[next & _mask].Stream != stream)
            {
                return;
            }

            tsn = next;
        }
    }

    private bool IsStored(uint tsn)
    {
        var offset = tsn - _processed;
        return offset >= 1 && offset <= (uint)_slots.Length && _slots[tsn & _mask].State == SlotState.Present;
    }

    private bool SameMessage(uint tsn, ushort stream, ushort ssn, bool unordered, bool allowBegin)
    {
        ref var s = ref _slots[tsn & _mask];
        if (s.Stream != stream || ((s.Flags & DataChunk.FlagUnordered) != 0) != unordered)
        {
            return false;
        }

        if (!allowBegin && (s.Flags & DataChunk.FlagBeginning) != 0)
        {
            return false;
        }

        return unordered || s.Ssn == ssn;
    }

    private void EnsureCapacity(uint offset)
    {
        if (offset <= (uint)_slots.Length)
        {
            return;
        }

        var size = _slots.Length;
        while (size < offset)
        {
            size *= 2;
        }

        var bigger = new Slot[size];
        var mask = size - 1;
        for (uint k = 1; k <= (uint)_slots.Length; k++)
        {
            var tsn = _processed + k;
            bigger[tsn & mask] = _slots[tsn & _mask];
        }

        _slots = bigger;
        _mask = mask;
    }

    private readonly record struct DeferredReset(uint RequestSequenceNumber, uint LastTsn, ushort[] Streams);

    private struct Slot
    {
        public byte[]? Buffer;
        public int Length;
        public uint Ppid;
        public ushort Stream;
        public ushort Ssn;
        public byte Flags;
        public SlotState State;
    }
}
