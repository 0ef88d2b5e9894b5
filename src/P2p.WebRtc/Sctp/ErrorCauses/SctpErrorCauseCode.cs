namespace P2p.WebRtc.Sctp;

/// <summary>Error cause codes carried in ABORT and ERROR chunks (RFC 9260 §3.3.10, RFC 6525, RFC 8260).</summary>
public enum SctpErrorCauseCode : ushort
{
    /// <summary>No cause given.</summary>
    None = 0,

    /// <summary>DATA for a stream that does not exist (§3.3.10.1).</summary>
    InvalidStreamIdentifier = 1,

    /// <summary>A mandatory parameter is missing (§3.3.10.2).</summary>
    MissingMandatoryParameter = 2,

    /// <summary>A State Cookie arrived after its lifetime (§3.3.10.3).</summary>
    StaleCookieError = 3,

    /// <summary>The sender ran out of resources (§3.3.10.4).</summary>
    OutOfResource = 4,

    /// <summary>An address could not be resolved (§3.3.10.5).</summary>
    UnresolvableAddress = 5,

    /// <summary>A chunk type was not understood (§3.3.10.6).</summary>
    UnrecognizedChunkType = 6,

    /// <summary>A mandatory parameter had an invalid value (§3.3.10.7).</summary>
    InvalidMandatoryParameter = 7,

    /// <summary>INIT parameters were not understood (§3.3.10.8).</summary>
    UnrecognizedParameters = 8,

    /// <summary>A DATA chunk without user data (§3.3.10.9).</summary>
    NoUserData = 9,

    /// <summary>COOKIE ECHO received while shutting down (§3.3.10.10).</summary>
    CookieReceivedWhileShuttingDown = 10,

    /// <summary>A restart tried to add addresses (§3.3.10.11).</summary>
    RestartWithNewAddresses = 11,

    /// <summary>The upper layer aborted the association (§3.3.10.12).</summary>
    UserInitiatedAbort = 12,

    /// <summary>The peer violated the protocol (§3.3.10.13).</summary>
    ProtocolViolation = 13,
}
