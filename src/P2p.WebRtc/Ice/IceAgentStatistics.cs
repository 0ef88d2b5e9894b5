namespace P2p.WebRtc.Ice;

/// <summary>Counters and timings of an <see cref="IceAgent"/> (times are measured from the agent's creation).</summary>
/// <param name="ChecksSent">Connectivity check requests sent, retransmissions included.</param>
/// <param name="ChecksReceived">Authenticated check requests received.</param>
/// <param name="StunDropped">STUN datagrams dropped (malformed, unauthenticated, unmatched).</param>
/// <param name="DatagramsSent">Datagrams sent through the transport.</param>
/// <param name="DatagramsReceived">Datagrams delivered to the transport's receive handler.</param>
/// <param name="DatagramsDropped">Non-STUN datagrams dropped (unknown sender, not DTLS, no handler).</param>
/// <param name="FirstCheckSent">When the first connectivity check was sent.</param>
/// <param name="Selected">When the first pair was selected.</param>
public sealed record IceAgentStatistics(
    long ChecksSent,
    long ChecksReceived,
    long StunDropped,
    long DatagramsSent,
    long DatagramsReceived,
    long DatagramsDropped,
    TimeSpan? FirstCheckSent,
    TimeSpan? Selected);
