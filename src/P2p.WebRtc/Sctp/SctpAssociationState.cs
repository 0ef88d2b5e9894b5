namespace P2p.WebRtc.Sctp;

/// <summary>Association states (RFC 9260 §4).</summary>
public enum SctpAssociationState
{
    /// <summary>No association yet (listening: an INIT from the peer is answered) or closed for good.</summary>
    Closed,

    /// <summary>INIT sent, waiting for INIT ACK.</summary>
    CookieWait,

    /// <summary>COOKIE ECHO sent, waiting for COOKIE ACK.</summary>
    CookieEchoed,

    /// <summary>Established: data flows.</summary>
    Established,

    /// <summary>Close requested locally; sending what is queued before SHUTDOWN.</summary>
    ShutdownPending,

    /// <summary>SHUTDOWN sent, waiting for SHUTDOWN ACK.</summary>
    ShutdownSent,

    /// <summary>SHUTDOWN received; sending what is outstanding before SHUTDOWN ACK.</summary>
    ShutdownReceived,

    /// <summary>SHUTDOWN ACK sent, waiting for SHUTDOWN COMPLETE.</summary>
    ShutdownAckSent,
}
