namespace P2p.WebRtc.Sctp.Send;

/// <summary>
/// A user message queued for sending, from Send until its last fragment is acknowledged or it is
/// abandoned (RFC 3758). Its bytes live in a pooled buffer that the fragments of the retransmission
/// queue refer to; the buffer returns to the pool when no fragment needs it any more. The object
/// itself is recycled by <see cref="OutboundMessagePool"/> once nothing refers to it.
/// </summary>
internal sealed class OutboundMessage
{
    private byte[]? _buffer;

    /// <summary>Takes a copy of the payload and resets every field (a recycled object starts afresh).</summary>
    public void Initialize(ReadOnlySpan<byte> payload, ushort streamId, uint ppid, bool unordered, TimeSpan expiresAt, int maxRetransmits)
    {
        _buffer = MessageBufferPool.Shared.Rent(payload.Length);
        payload.CopyTo(_buffer);
        Length = payload.Length;
        StreamId = streamId;
        Ppid = ppid;
        Unordered = unordered;
        ExpiresAt = expiresAt;
        MaxRetransmits = maxRetransmits;
        BytesFragmented = 0;
        Ssn = 0;
        FirstTsn = 0;
        FragmentsAssigned = 0;
        FragmentsUnacked = 0;
        Abandoned = false;
    }

    public int Length { get; private set; }

    public ushort StreamId { get; private set; }

    public uint Ppid { get; private set; }

    public bool Unordered { get; private set; }

    /// <summary>When the message is abandoned if not yet delivered (<see cref="TimeSpan.MaxValue"/>: never).</summary>
    public TimeSpan ExpiresAt { get; private set; }

    /// <summary>Retransmissions allowed per fragment (−1: unlimited).</summary>
    public int MaxRetransmits { get; private set; }

    /// <summary>True when PR-SCTP may abandon this message.</summary>
    public bool IsPartiallyReliable => MaxRetransmits >= 0 || ExpiresAt != TimeSpan.MaxValue;

    /// <summary>Bytes already cut into DATA chunks (TSN assigned).</summary>
    public int BytesFragmented { get; set; }

    public bool FullyFragmented => BytesFragmented == Length;

    /// <summary>The stream sequence number, assigned with the first fragment.</summary>
    public ushort Ssn { get; set; }

    /// <summary>TSN of the first fragment.</summary>
    public uint FirstTsn { get; set; }

    /// <summary>Fragments that have a TSN.</summary>
    public int FragmentsAssigned { get; set; }

    /// <summary>Fragments not yet cumulatively acknowledged.</summary>
    public int FragmentsUnacked { get; set; }

    /// <summary>True once abandoned (PR-SCTP); no fragment of it is sent again.</summary>
    public bool Abandoned { get; set; }

    /// <summary>The message bytes (valid until <see cref="Release"/>).</summary>
    public ReadOnlySpan<byte> Data(int offset, int length) => _buffer.AsSpan(offset, length);

    /// <summary>Returns the buffer to the pool (idempotent).</summary>
    public void Release()
    {
        var b = _buffer;
        if (b is not null)
        {
            _buffer = null;
            MessageBufferPool.Shared.Return(b);
        }
    }

    /// <summary>True when the message's TTL has passed (RFC 3758 timed reliability).</summary>
    public bool IsExpired(TimeSpan now) => now >= ExpiresAt;
}
