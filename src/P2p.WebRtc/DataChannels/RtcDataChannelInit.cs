namespace P2p.WebRtc.DataChannels;

/// <summary>Options of a new data channel, as the browser's <c>RTCDataChannelInit</c>.</summary>
public sealed record RtcDataChannelInit
{
    /// <summary>Deliver messages in order (default). False delivers them as they arrive.</summary>
    public bool Ordered { get; init; } = true;

    /// <summary>Partial reliability: give up on a message after this many retransmissions (RFC 3758). Exclusive with <see cref="MaxPacketLifeTime"/>.</summary>
    public int? MaxRetransmits { get; init; }

    /// <summary>Partial reliability: give up on a message after this long (RFC 3758). Exclusive with <see cref="MaxRetransmits"/>.</summary>
    public TimeSpan? MaxPacketLifeTime { get; init; }

    /// <summary>The sub-protocol name announced to the peer (may be empty).</summary>
    public string Protocol { get; init; } = string.Empty;

    /// <summary>
    /// True when both sides create the channel themselves with the same <see cref="Id"/> (no DCEP
    /// handshake, RFC 8832 §1); false (default) announces it to the peer with DATA_CHANNEL_OPEN.
    /// </summary>
    public bool Negotiated { get; init; }

    /// <summary>The SCTP stream id: required when <see cref="Negotiated"/>, chosen automatically otherwise (RFC 8832 §6: even for the DTLS client, odd for the server).</summary>
    public ushort? Id { get; init; }

    /// <summary>The priority announced in DATA_CHANNEL_OPEN (RFC 8831 §6.4; 256 = normal).</summary>
    public ushort Priority { get; init; } = 256;
}
