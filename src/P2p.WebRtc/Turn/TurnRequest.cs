using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Turn;

/// <summary>An outstanding request of the client, with its retransmission state (RFC 8489 §6.2.1).</summary>
internal sealed class TurnRequest(TurnRequestKind kind, StunTransactionId id, byte[] message)
{
    public TurnRequestKind Kind { get; } = kind;

    public StunTransactionId Id { get; } = id;

    public byte[] Message { get; } = message;

    /// <summary>For CreatePermission and ChannelBind.</summary>
    public TurnPeer? Peer { get; init; }

    /// <summary>For CreatePermission.</summary>
    public TurnPermission? Permission { get; init; }

    /// <summary>For Refresh: the lifetime asked for (0 deletes).</summary>
    public uint Lifetime { get; init; }

    /// <summary>How often the request was re-sent after 401/438 (with new credentials or nonce).</summary>
    public int AuthRetries { get; init; }

    /// <summary>Whether the request carries MESSAGE-INTEGRITY (sent with credentials): its answers must then carry it too.</summary>
    public bool Signed { get; init; }

    public int Transmissions { get; set; }

    public TimeSpan Rto { get; set; }

    public TimeSpan NextTransmission { get; set; }

    public TimeSpan GiveUpAt { get; set; }
}
