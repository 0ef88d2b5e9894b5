namespace P2p.WebRtc.Sctp.Send;

/// <summary>What processing one SACK did to the retransmission queue.</summary>
internal struct SackOutcome
{
    /// <summary>False for a stale SACK (cumulative ack behind ours, RFC 9260 §6.2.1 D i).</summary>
    public bool Accepted;

    /// <summary>The SACK acknowledges TSNs never sent.</summary>
    public bool ProtocolViolation;

    /// <summary>The cumulative TSN ack point moved.</summary>
    public bool CumAdvanced;

    /// <summary>Payload bytes acknowledged for the first time (cumulatively or by gap blocks).</summary>
    public long BytesNewlyAcked;

    /// <summary>A round-trip sample from a newly acknowledged chunk sent only once (Karn's rule).</summary>
    public TimeSpan? RttSample;

    /// <summary>Chunks that reached three miss indications in this SACK.</summary>
    public int NewFastRetransmits;
}
