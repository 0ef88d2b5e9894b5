namespace P2p.WebRtc;

/// <summary>The aggregate state of a peer connection's transports (the browser's <c>RTCPeerConnectionState</c>).</summary>
public enum RtcPeerConnectionState
{
    /// <summary>Nothing started yet.</summary>
    New,

    /// <summary>ICE is checking or DTLS/SCTP are setting up.</summary>
    Connecting,

    /// <summary>ICE has a selected pair, DTLS is connected and the SCTP association is up.</summary>
    Connected,

    /// <summary>ICE lost consent for a while; it may recover.</summary>
    Disconnected,

    /// <summary>ICE, DTLS or SCTP failed; see <see cref="RtcPeerConnection.Error"/>.</summary>
    Failed,

    /// <summary>The connection was closed.</summary>
    Closed,
}
