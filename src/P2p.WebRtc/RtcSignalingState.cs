namespace P2p.WebRtc;

/// <summary>Where a peer connection is in the offer/answer exchange (the browser's <c>RTCSignalingState</c>, without provisional answers).</summary>
public enum RtcSignalingState
{
    /// <summary>No exchange in progress.</summary>
    Stable,

    /// <summary>A local offer is set; the remote answer is awaited.</summary>
    HaveLocalOffer,

    /// <summary>A remote offer is set; the local answer is awaited.</summary>
    HaveRemoteOffer,

    /// <summary>The connection is closed.</summary>
    Closed,
}
