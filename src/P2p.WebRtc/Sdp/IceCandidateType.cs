namespace P2p.WebRtc.Sdp;

/// <summary>The candidate types of RFC 8445 §5.1.1 as written in SDP (RFC 8839 §5.1 <c>typ</c>).</summary>
public enum IceCandidateType
{
    /// <summary><c>host</c>: an address of a local interface.</summary>
    Host,

    /// <summary><c>srflx</c>: a server-reflexive address learned from a STUN server.</summary>
    ServerReflexive,

    /// <summary><c>prflx</c>: a peer-reflexive address learned from a connectivity check.</summary>
    PeerReflexive,

    /// <summary><c>relay</c>: an address allocated on a TURN server.</summary>
    Relayed,
}
