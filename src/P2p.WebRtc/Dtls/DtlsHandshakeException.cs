namespace P2p.WebRtc.Dtls;

/// <summary>
/// The DTLS handshake failed. Thrown by <see cref="DtlsTransport.StartAsync"/> and passed to
/// <see cref="DtlsTransport.Closed"/>; <see cref="Reason"/> says why.
/// </summary>
public sealed class DtlsHandshakeException : DtlsException
{
    /// <summary>Creates the exception.</summary>
    public DtlsHandshakeException()
        : this(DtlsHandshakeFailure.ProtocolError, "The DTLS handshake failed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public DtlsHandshakeException(string message)
        : this(DtlsHandshakeFailure.ProtocolError, message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public DtlsHandshakeException(string message, Exception? innerException)
        : this(DtlsHandshakeFailure.ProtocolError, message, null, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the handshake failed.</param>
    /// <param name="message">What happened, for people.</param>
    /// <param name="alert">The alert received or sent, if any.</param>
    /// <param name="innerException">The cause, if any.</param>
    public DtlsHandshakeException(DtlsHandshakeFailure reason, string message, DtlsAlertDescription? alert = null, Exception? innerException = null)
        : base(message, alert, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the handshake failed.</summary>
    public DtlsHandshakeFailure Reason { get; }
}
