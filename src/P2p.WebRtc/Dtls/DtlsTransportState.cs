namespace P2p.WebRtc.Dtls;

/// <summary>The life cycle of a <see cref="DtlsTransport"/> (compare RTCDtlsTransportState).</summary>
public enum DtlsTransportState
{
    /// <summary>Created; the handshake has not started.</summary>
    New,

    /// <summary>The handshake is running.</summary>
    Connecting,

    /// <summary>The handshake completed and the peer's certificate matched its SDP fingerprint.</summary>
    Connected,

    /// <summary>Closed in an orderly way (close_notify sent or received, or the transport was disposed).</summary>
    Closed,

    /// <summary>The handshake failed, a fatal alert was sent or received, or the lower transport failed.</summary>
    Failed,
}
