namespace P2p.WebRtc.DataChannels;

/// <summary>A data channel's state, as the browser's <c>RTCDataChannelState</c>.</summary>
public enum RtcDataChannelState
{
    /// <summary>Waiting for the SCTP association (or, for a channel the peer opens, not yet announced).</summary>
    Connecting,

    /// <summary>Messages can be sent and received.</summary>
    Open,

    /// <summary>Closing: its stream is being reset; nothing more can be sent.</summary>
    Closing,

    /// <summary>Closed.</summary>
    Closed,
}
