namespace P2p.WebRtc.Sctp.Send;

/// <summary>
/// Recycles <see cref="OutboundMessage"/> objects so that sending a message allocates nothing in the
/// steady state. A message comes back only when nothing refers to it any more: every fragment was
/// cumulatively acknowledged (its ring entries are cleared) and it left the send queue. Messages
/// dropped any other way (association closed, expired before sending) are left to the GC.
/// Not thread-safe: used under the association's single caller.
/// </summary>
internal sealed class OutboundMessagePool
{
    /// <summary>Objects kept for reuse at most (a message object is small; its buffer is not kept).</summary>
    public const int MaxRetained = 1024;

    private readonly Stack<OutboundMessage> _free = new();

    /// <summary>Objects currently kept (for tests).</summary>
    public int Count => _free.Count;

    /// <summary>A message holding a copy of <paramref name="payload"/>.</summary>
    public OutboundMessage Rent(ReadOnlySpan<byte> payload, ushort streamId, uint ppid, bool unordered, TimeSpan expiresAt, int maxRetransmits)
    {
        var m = _free.TryPop(out var recycled) ? recycled : new OutboundMessage();
        m.Initialize(payload, streamId, ppid, unordered, expiresAt, maxRetransmits);
        return m;
    }

    /// <summary>Takes back a message nothing refers to any more; its buffer is released first.</summary>
    public void Return(OutboundMessage message)
    {
        message.Release();
        if (_free.Count < MaxRetained)
        {
            _free.Push(message);
        }
    }
}
