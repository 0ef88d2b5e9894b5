namespace P2p.WebRtc.Dtls;

/// <summary>
/// Which side of the DTLS handshake this endpoint plays. In WebRTC the role follows the SDP
/// <c>a=setup</c> attribute (RFC 5763 §5, RFC 8842 §5): the endpoint whose final role is
/// <c>active</c> is the DTLS client, the <c>passive</c> one is the DTLS server. An offer says
/// <c>actpass</c>, and the answerer picks <c>active</c> or <c>passive</c>.
/// </summary>
public enum DtlsRole
{
    /// <summary>The DTLS client: sends the ClientHello (<c>a=setup:active</c>).</summary>
    Client,

    /// <summary>The DTLS server: waits for the ClientHello (<c>a=setup:passive</c>).</summary>
    Server,
}
