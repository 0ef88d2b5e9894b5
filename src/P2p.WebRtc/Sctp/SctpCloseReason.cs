namespace P2p.WebRtc.Sctp;

/// <summary>Why an association closed.</summary>
public enum SctpCloseReason
{
    /// <summary>Graceful SHUTDOWN completed (RFC 9260 §9.2), started by either side.</summary>
    Shutdown,

    /// <summary>Aborted locally by <see cref="SctpAssociation.Abort"/>.</summary>
    LocalAbort,

    /// <summary>The peer sent ABORT (RFC 9260 §9.1).</summary>
    PeerAbort,

    /// <summary>Association.Max.Retrans consecutive timeouts: the peer is unreachable (RFC 9260 §8.1).</summary>
    MaxRetransmissions,

    /// <summary>INIT or COOKIE ECHO was retransmitted Max.Init.Retransmits times without answer (RFC 9260 §5.1).</summary>
    ConnectTimeout,

    /// <summary>The peer violated the protocol (e.g. empty DATA, a message above the size limit); an ABORT was sent.</summary>
    ProtocolViolation,

    /// <summary>The lower (DTLS/datagram) transport closed.</summary>
    TransportClosed,
}

/// <summary>How and why an association closed.</summary>
/// <param name="Reason">The kind of close.</param>
/// <param name="Message">A human-readable detail (the peer's abort causes, the local reason, ...).</param>
/// <param name="ErrorCause">The first error cause involved, if any.</param>
public sealed record SctpCloseInfo(SctpCloseReason Reason, string Message, SctpErrorCauseCode ErrorCause = SctpErrorCauseCode.None)
{
    /// <summary>True for an orderly close (SHUTDOWN), false for aborts and failures.</summary>
    public bool IsGraceful => Reason == SctpCloseReason.Shutdown;
}
