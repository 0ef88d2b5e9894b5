using P2p.Core.Framing;

namespace P2p.Core.Routing;

/// <summary>
/// The receiving side of the messages one origin relays to this member (docs/protocol.md, "Relayed members
/// (extension)"): one partial message at a time, rebuilt from its fragments by offset, and the seqs already delivered,
/// so that a message sent again after a relay change is delivered at most once. Sans-I/O; not thread-safe.
/// </summary>
internal sealed class RelayedInbox(int maxMessageSize)
{
    /// <summary>How many delivered seqs above the contiguous floor are remembered (a sender has far fewer in flight).</summary>
    internal const int MaxRemembered = 4096;

    private readonly HashSet<uint> _deliveredAbove = [];
    private uint _deliveredFloor;
    private bool _partial;
    private uint _seq;
    private FrameHeader _header;
    private FragmentBuffer? _buffer;
    private long _received;

    /// <summary>The largest message kept (larger ones are counted through but not buffered).</summary>
    public int MaxMessageSize { get; } = maxMessageSize;

    /// <summary>
    /// Adds a Data fragment. Returns <see cref="ReassemblyStatus.Complete"/> with the message when this fragment
    /// completes it, <see cref="ReassemblyStatus.TooLarge"/> when a message over the limit completes (nothing kept),
    /// <see cref="ReassemblyStatus.Incomplete"/> while more is expected, <see cref="ReassemblyStatus.Malformed"/> for a
    /// fragment that fits no message (dropped).
    /// </summary>
    public ReassemblyStatus Add(uint seq, uint offset, FrameHeader header, ReadOnlySpan<byte> fragment, out ReadOnlyMemory<byte> message)
    {
        message = default;
        if (offset == 0)
        {
            _partial = true;
            _seq = seq;
            _header = header;
            _received = 0;
            _buffer = header.TotalLength <= (uint)MaxMessageSize ? new FragmentBuffer(header.TotalLength) : null;
        }
        else if (!_partial || _seq != seq || _received != offset || _header with { Final = header.Final } != header)
        {
            return ReassemblyStatus.Malformed;
        }

        if (_received + fragment.Length > header.TotalLength)
        {
            _partial = false;
            return ReassemblyStatus.Malformed;
        }

        if (_buffer is not null)
        {
            _buffer.Append(fragment);
        }

        _received += fragment.Length;
        var complete = _received == header.TotalLength;
        if (complete != header.Final)
        {
            // A final flag that does not add up (a cut-short or inconsistent message) drops the message.
            _partial = false;
            _buffer = null;
            return ReassemblyStatus.Malformed;
        }

        if (!complete)
        {
            return ReassemblyStatus.Incomplete;
        }

        _partial = false;
        var buffer = _buffer;
        _buffer = null;
        if (buffer is null)
        {
            return ReassemblyStatus.TooLarge;
        }

        message = buffer.ToMessage();
        return ReassemblyStatus.Complete;
    }

    /// <summary>True when message <paramref name="seq"/> was delivered already.</summary>
    public bool WasDelivered(uint seq) => seq <= _deliveredFloor || _deliveredAbove.Contains(seq);

    /// <summary>Remembers that message <paramref name="seq"/> was delivered.</summary>
    public void MarkDelivered(uint seq)
    {
        if (WasDelivered(seq))
        {
            return;
        }

        _deliveredAbove.Add(seq);
        while (_deliveredAbove.Remove(_deliveredFloor + 1))
        {
            _deliveredFloor++;
        }

        if (_deliveredAbove.Count > MaxRemembered)
        {
            // A gap that old is a message its sender gave up on: forget the gap.
            _deliveredFloor = _deliveredAbove.Min();
            _deliveredAbove.RemoveWhere(s => s <= _deliveredFloor);
            while (_deliveredAbove.Remove(_deliveredFloor + 1))
            {
                _deliveredFloor++;
            }
        }
    }
}
