namespace P2p.WebRtc.Turn;

/// <summary>How a client reaches a TURN (or STUN) server (RFC 8656 §3.1). Relayed traffic always leaves the server over UDP.</summary>
public enum TurnTransport
{
    /// <summary>UDP (<c>turn:HOST</c>).</summary>
    Udp,

    /// <summary>TCP (<c>turn:HOST?transport=tcp</c>): for networks that block UDP.</summary>
    Tcp,

    /// <summary>TLS over TCP (<c>turns:HOST</c>): for networks that allow only HTTPS-like traffic.</summary>
    Tls,
}
