namespace P2p.WebRtc.Dtls;

/// <summary>What <see cref="RtcTlsClient"/> and <see cref="RtcTlsServer"/> report to their <see cref="DtlsTransport"/>.</summary>
internal interface IRtcTlsPeerEvents
{
    /// <summary>An alert this side raised (sent).</summary>
    void OnAlertRaised(short level, short description, string? message, Exception? cause);

    /// <summary>An alert received from the peer.</summary>
    void OnAlertReceived(short level, short description);

    /// <summary>The handshake completed with this cipher suite and SRTP protection profile (-1: use_srtp not negotiated).</summary>
    void OnHandshakeComplete(int cipherSuite, int srtpProfile);
}
