namespace P2p.WebRtc.Dtls;

/// <summary>
/// A DTLS session failed after its handshake: a fatal alert was received from the peer or sent to
/// it. Delivered as <see cref="Net.DatagramTransportClosedEventArgs.Error"/> of
/// <see cref="DtlsTransport.Closed"/>.
/// </summary>
public class DtlsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DtlsException()
        : this("The DTLS session failed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public DtlsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public DtlsException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an alert.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="alert">The alert received or sent.</param>
    /// <param name="innerException">The cause, if any.</param>
    public DtlsException(string message, DtlsAlertDescription? alert, Exception? innerException = null)
        : base(message, innerException)
    {
        Alert = alert;
    }

    /// <summary>The alert that ended the session (received from the peer or sent to it), if any.</summary>
    public DtlsAlertDescription? Alert { get; }
}
