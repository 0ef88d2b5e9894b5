namespace P2p.WebRtc;

/// <summary>A local candidate to send to the peer, or the end of gathering.</summary>
/// <param name="candidate">The candidate, or null when gathering is complete.</param>
public sealed class RtcIceCandidateEventArgs(RtcIceCandidateInit? candidate) : EventArgs
{
    /// <summary>The candidate in the browser's JSON shape, or null when gathering is complete.</summary>
    public RtcIceCandidateInit? Candidate { get; } = candidate;
}
