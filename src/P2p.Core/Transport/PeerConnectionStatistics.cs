namespace P2p.Core.Transport;

/// <summary>
/// What a connection's transport measures about itself (<see cref="IPeerConnection.GetStatistics"/>): P2p.Core reports it
/// on its meter as <c>p2p.link.rtt</c> and <c>p2p.link.retransmissions</c> (docs/telemetry.md).
/// </summary>
public sealed record PeerConnectionStatistics
{
    /// <summary>
    /// The smoothed round-trip time the transport measures on the connection (for WebRTC, SCTP's SRTT, RFC 9260 §6.3.1);
    /// null before the first measurement.
    /// </summary>
    public TimeSpan? RoundTripTime { get; init; }

    /// <summary>
    /// How many units of data the transport has sent again since the connection opened, because they were lost or not
    /// acknowledged in time (for WebRTC, SCTP DATA chunks retransmitted). It only grows.
    /// </summary>
    public long Retransmissions { get; init; }
}
