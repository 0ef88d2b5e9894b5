using P2p.WebRtc.Sctp.Chunks;

namespace P2p.WebRtc.Sctp.Receive;

/// <summary>
/// Receiver-side TSN bookkeeping (RFC 9260 §6.2): the cumulative TSN, the TSNs received above it,
/// duplicates to report, and when to acknowledge — at once on gaps, gap fills, duplicates, the
/// I bit or every <c>ackEvery</c> packets, otherwise after the delayed-ACK timeout (§6.2, §6.7).
/// </summary>
internal sealed class DataTracker
{
    private const int MaxDuplicatesReported = 32;
    private readonly TsnRangeList _above = new();
    private readonly List<uint> _duplicates = [];
    private readonly int _ackEvery;
    private GapAckBlock[] _blocks = new GapAckBlock[16];
    private int _packetsSinceAck;
    private bool _hadGapsBeforePacket;
    private bool _seenData;

    public DataTracker(uint peerInitialTsn, int ackEvery)
    {
        CumulativeTsn = peerInitialTsn - 1;
        HighestReceived = CumulativeTsn;
        _ackEvery = ackEvery;
    }

    /// <summary>The cumulative TSN ack point: every TSN up to it was received (or skipped by FORWARD TSN).</summary>
    public uint CumulativeTsn { get; private set; }

    /// <summary>The highest TSN received.</summary>
    public uint HighestReceived { get; private set; }

    /// <summary>True when a SACK must go out at the next opportunity.</summary>
    public bool AckNow { get; private set; }

    /// <summary>True when a SACK is owed (now or when the delayed-ACK timer fires).</summary>
    public bool AckOwed { get; private set; }

    public bool HasGaps => _above.Count > 0;

    /// <summary>True when <paramref name="tsn"/> was already received.</summary>
    public bool IsDuplicate(uint tsn) => SerialNumber.Le(tsn, CumulativeTsn) || _above.Contains(tsn);

    /// <summary>Called before the chunks of a packet are processed.</summary>
    public void BeginPacket() => _hadGapsBeforePacket = HasGaps;

    /// <summary>Records a duplicate TSN for the next SACK (§6.2: report and acknowledge at once).</summary>
    public void AddDuplicate(uint tsn)
    {
        if (_duplicates.Count < MaxDuplicatesReported)
        {
            _duplicates.Add(tsn);
        }

        _seenData = true;
        AckNow = true;
    }

    /// <summary>Records a new TSN; returns true when the cumulative TSN advanced.</summary>
    public bool Add(uint tsn, bool immediate)
    {
        _seenData = true;
        if (immediate)
        {
            AckNow = true;
        }

        if (SerialNumber.Gt(tsn, HighestReceived))
        {
            HighestReceived = tsn;
        }

        if (tsn == CumulativeTsn + 1)
        {
            CumulativeTsn = tsn;
            if (_above.TryTakeContiguous(CumulativeTsn, out var end))
            {
                CumulativeTsn = end;
            }

            return true;
        }

        _above.Add(tsn);
        return false;
    }

    /// <summary>Moves the cumulative TSN forward for a FORWARD TSN (RFC 3758 §3.6); returns true if it moved.</summary>
    public bool ForwardTo(uint newCumulative)
    {
        _seenData = true;
        AckNow = true; // RFC 3758 §3.6: a SACK answers every FORWARD TSN.
        if (!SerialNumber.Gt(newCumulative, CumulativeTsn))
        {
            return false;
        }

        _above.RemoveUpTo(newCumulative);
        CumulativeTsn = newCumulative;
        if (SerialNumber.Gt(newCumulative, HighestReceived))
        {
            HighestReceived = newCumulative;
        }

        while (_above.TryTakeContiguous(CumulativeTsn, out var end))
        {
            CumulativeTsn = end;
        }

        return true;
    }

    /// <summary>Called after a packet's chunks: decides between an immediate and a delayed SACK.</summary>
    public void EndPacket()
    {
        if (!_seenData)
        {
            return;
        }

        _seenData = false;
        AckOwed = true;
        _packetsSinceAck++;
        if (HasGaps || _hadGapsBeforePacket || _packetsSinceAck >= _ackEvery)
        {
            AckNow = true;
        }
    }

    /// <summary>Forces the owed SACK out now (delayed-ACK timer expiry, shutdown).</summary>
    public void RequestAckNow()
    {
        AckOwed = true;
        AckNow = true;
    }

    /// <summary>Size of the SACK that <see cref="WriteSack"/> would write with at most <paramref name="room"/> bytes.</summary>
    public int SackSize(int room)
    {
        Fit(room, out var blocks, out var dups);
        return SackChunk.SizeOf(blocks, dups);
    }

    /// <summary>Writes a SACK advertising <paramref name="aRwnd"/> into at most <paramref name="room"/> bytes and clears the owed state.</summary>
    public int WriteSack(Span<byte> destination, int room, uint aRwnd)
    {
        Fit(room, out var maxBlocks, out var dups);
        var blocks = 0;
        if (_blocks.Length < maxBlocks)
        {
            _blocks = new GapAckBlock[Math.Max(maxBlocks, _blocks.Length * 2)];
        }

        for (var i = 0; i < _above.Count && blocks < maxBlocks; i++)
        {
            var (s, e) = _above[i];
            var so = s - CumulativeTsn;
            var eo = e - CumulativeTsn;
            if (so > ushort.MaxValue)
            {
                break;
            }

            _blocks[blocks++] = new GapAckBlock((ushort)so, (ushort)Math.Min(eo, ushort.MaxValue));
        }

        var written = SackChunk.Write(destination, CumulativeTsn, aRwnd, _blocks.AsSpan(0, blocks), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_duplicates)[..dups]);
        _duplicates.Clear();
        AckNow = false;
        AckOwed = false;
        _packetsSinceAck = 0;
        return written;
    }

    private void Fit(int room, out int blocks, out int dups)
    {
        blocks = Math.Min(_above.Count, ushort.MaxValue);
        dups = _duplicates.Count;
        while (SackChunk.SizeOf(blocks, dups) > room && dups > 0)
        {
            dups--;
        }

        while (SackChunk.SizeOf(blocks, dups) > room && blocks > 0)
        {
            blocks--;
        }
    }
}
