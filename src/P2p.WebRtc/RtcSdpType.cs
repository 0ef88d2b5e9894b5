namespace P2p.WebRtc;

/// <summary>The type of a session description, as the browser's <c>RTCSdpType</c>.</summary>
public enum RtcSdpType
{
    /// <summary>An offer.</summary>
    Offer,

    /// <summary>An answer.</summary>
    Answer,
}
