namespace P2p.WebRtc.Sdp;

/// <summary>The <c>a=setup</c> values (RFC 4145 §4, used for DTLS by RFC 8842 §5).</summary>
public enum SdpSetupRole
{
    /// <summary><c>actpass</c>: the offerer can be either (an offer must use this).</summary>
    ActPass,

    /// <summary><c>active</c>: this endpoint initiates the (DTLS) connection, i.e. is the DTLS client.</summary>
    Active,

    /// <summary><c>passive</c>: this endpoint accepts the connection, i.e. is the DTLS server.</summary>
    Passive,

    /// <summary><c>holdconn</c>: no connection for now.</summary>
    HoldConn,
}
