namespace P2p.WebRtc.Dtls;

/// <summary>Why a DTLS handshake failed (see <see cref="DtlsHandshakeException.Reason"/>).</summary>
public enum DtlsHandshakeFailure
{
    /// <summary>
    /// The peer's certificate did not match any SDP fingerprint (RFC 8122 §5): the handshake was
    /// aborted with a fatal bad_certificate alert before any application data could flow.
    /// </summary>
    RemoteFingerprintMismatch,

    /// <summary>The peer sent no certificate (RFC 8827 §6.5 requires both sides to authenticate).</summary>
    RemoteCertificateMissing,

    /// <summary>The handshake did not complete within the configured timeout.</summary>
    Timeout,

    /// <summary>The peer aborted the handshake with a fatal alert (see <see cref="DtlsException.Alert"/>).</summary>
    AlertReceived,

    /// <summary>
    /// This side aborted the handshake because the peer broke the protocol or offered nothing
    /// acceptable (no common cipher suite, no extended master secret, bad signature, ...); the alert
    /// sent is in <see cref="DtlsException.Alert"/>.
    /// </summary>
    ProtocolError,

    /// <summary>The lower transport closed, or this transport was closed or disposed, before the handshake completed.</summary>
    TransportClosed,
}
