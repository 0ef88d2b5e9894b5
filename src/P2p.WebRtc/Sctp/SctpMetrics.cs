namespace P2p.WebRtc.Sctp;

/// <summary>A snapshot of an association's counters and congestion state.</summary>
public sealed record SctpMetrics
{
    /// <summary>Packets handed to the lower transport.</summary>
    public long PacketsSent { get; init; }

    /// <summary>Packets received and accepted (checksum, ports and tag valid).</summary>
    public long PacketsReceived { get; init; }

    /// <summary>Packets dropped: bad checksum, wrong ports or tag, malformed, or in the wrong state.</summary>
    public long PacketsDropped { get; init; }

    /// <summary>DATA chunks sent for the first time.</summary>
    public long DataChunksSent { get; init; }

    /// <summary>DATA chunks retransmitted (all causes).</summary>
    public long DataChunksRetransmitted { get; init; }

    /// <summary>Fast retransmit events (RFC 9260 §7.2.4: three miss indications).</summary>
    public long FastRetransmits { get; init; }

    /// <summary>T3-rtx expirations (RFC 9260 §6.3.3).</summary>
    public long T3Expirations { get; init; }

    /// <summary>DATA chunks received (including duplicates).</summary>
    public long DataChunksReceived { get; init; }

    /// <summary>Duplicate TSNs received.</summary>
    public long DuplicateTsnsReceived { get; init; }

    /// <summary>User messages queued by Send.</summary>
    public long MessagesSent { get; init; }

    /// <summary>User messages delivered.</summary>
    public long MessagesReceived { get; init; }

    /// <summary>Partially reliable messages abandoned (RFC 3758).</summary>
    public long MessagesAbandoned { get; init; }

    /// <summary>FORWARD TSN chunks sent.</summary>
    public long ForwardTsnsSent { get; init; }

    /// <summary>FORWARD TSN chunks received.</summary>
    public long ForwardTsnsReceived { get; init; }

    /// <summary>SACK chunks sent.</summary>
    public long SacksSent { get; init; }

    /// <summary>SACK chunks received.</summary>
    public long SacksReceived { get; init; }

    /// <summary>Congestion window in bytes (RFC 9260 §7.2).</summary>
    public long CongestionWindow { get; init; }

    /// <summary>Slow-start threshold in bytes.</summary>
    public long SlowStartThreshold { get; init; }

    /// <summary>Bytes of DATA in flight.</summary>
    public long BytesInFlight { get; init; }

    /// <summary>The peer's receive window as last known.</summary>
    public long PeerReceiveWindow { get; init; }

    /// <summary>Smoothed round-trip time (RFC 9260 §6.3.1), null before the first measurement.</summary>
    public TimeSpan? SmoothedRtt { get; init; }

    /// <summary>Current retransmission timeout.</summary>
    public TimeSpan Rto { get; init; }

    /// <summary>Bytes queued and not yet sent, all streams.</summary>
    public long BufferedAmount { get; init; }

    /// <summary>Out-of-order bytes held for reassembly (they reduce the advertised window).</summary>
    public long ReceiveBufferedBytes { get; init; }

    /// <summary>Bytes of delivered messages a reader holds and has not consumed (they reduce the advertised window too).</summary>
    public long ReceiveHeldBytes { get; init; }
}
