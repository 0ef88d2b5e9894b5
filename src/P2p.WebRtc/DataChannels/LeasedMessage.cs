using P2p.WebRtc.Sctp;

namespace P2p.WebRtc.DataChannels;

/// <summary>
/// What a <see cref="RtcDataChannelMessageLease"/> refers to: a received message's pooled buffer and receive-window
/// credit. The object is recycled; its <see cref="Generation"/> changes on every return, so a lease disposed twice (or
/// a stale copy) finds another generation and does nothing, and never returns the buffer of a later message.
/// </summary>
internal sealed class LeasedMessage
{
    /// <summary>Recycled objects kept at most.</summary>
    private const int MaxRetained = 256;

    private static readonly Stack<LeasedMessage> Free = new();
    private static readonly Lock FreeLock = new();

    private int _generation;
    private byte[]? _buffer;
    private bool _pooled;
    private SctpReceiveCredit _credit;

    public int Generation => Volatile.Read(ref _generation);

    public bool IsText { get; private set; }

    public ReadOnlyMemory<byte> Data { get; private set; }

    /// <summary>A lease of <paramref name="data"/>.</summary>
    /// <param name="isText">A string message.</param>
    /// <param name="data">The bytes (within <paramref name="buffer"/>).</param>
    /// <param name="buffer">The array under them.</param>
    /// <param name="pooled">Whether <paramref name="buffer"/> goes back to <see cref="MessageBufferPool"/> on return.</param>
    /// <param name="credit">The receive-window bytes given back on return.</param>
    public static RtcDataChannelMessageLease Lease(bool isText, ReadOnlyMemory<byte> data, byte[]? buffer, bool pooled, SctpReceiveCredit credit)
    {
        LeasedMessage? m;
        lock (FreeLock)
        {
            Free.TryPop(out m);
        }

        m ??= new LeasedMessage();
        m.IsText = isText;
        m.Data = data;
        m._buffer = buffer;
        m._pooled = pooled && buffer is { Length: > 0 };
        m._credit = credit;
        return new RtcDataChannelMessageLease(m);
    }

    /// <summary>Returns the buffer and the credit if <paramref name="generation"/> is still current.</summary>
    public void Return(int generation)
    {
        if (Interlocked.CompareExchange(ref _generation, generation + 1, generation) != generation)
        {
            return;
        }

        var buffer = _buffer;
        var pooled = _pooled;
        var credit = _credit;
        _buffer = null;
        _credit = default;
        Data = default;
        if (pooled)
        {
            MessageBufferPool.Shared.Return(buffer!);
        }

        lock (FreeLock)
        {
            if (Free.Count < MaxRetained)
            {
                Free.Push(this);
            }
        }

        credit.Release();
    }
}
