namespace P2p.WebRtc.Ice;

/// <summary>The candidate gathering state, modelled on the browser's <c>RTCIceGatheringState</c>.</summary>
public enum IceGatheringState
{
    /// <summary>Gathering has not started.</summary>
    New,

    /// <summary>Host candidates are being bound and STUN servers asked.</summary>
    Gathering,

    /// <summary>Every local candidate has been reported.</summary>
    Complete,
}
