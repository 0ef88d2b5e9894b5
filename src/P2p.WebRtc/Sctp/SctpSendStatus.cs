namespace P2p.WebRtc.Sctp;

/// <summary>The outcome of <see cref="SctpAssociation.Send"/>.</summary>
public enum SctpSendStatus
{
    /// <summary>Queued for sending.</summary>
    Success,

    /// <summary>The message is larger than <see cref="SctpOptions.MaxMessageSize"/>.</summary>
    ErrorMessageTooLarge,

    /// <summary>The message is empty: SCTP cannot carry empty user data (RFC 9260 §3.3.1); RFC 8831 §6.6 sends one byte with an "empty" PPID instead.</summary>
    ErrorMessageEmpty,

    /// <summary>The stream id is not below the negotiated number of outbound streams.</summary>
    ErrorInvalidStream,

    /// <summary>Queuing the message would exceed <see cref="SctpOptions.MaxSendBufferSize"/>.</summary>
    ErrorResourceExhaustion,

    /// <summary>The association is shutting down or closed.</summary>
    ErrorShuttingDown,
}
