namespace P2p.WebRtc.Turn;

/// <summary>A TURN server refused or did not answer a request (RFC 8656), e.g. wrong credentials or an unreachable server.</summary>
public sealed class TurnException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, naming the server.</param>
    /// <param name="errorCode">The STUN error code the server answered with (RFC 8656 §19), or 0 when it gave none.</param>
    /// <param name="innerException">The cause (a socket or TLS error), if any.</param>
    public TurnException(string message, int errorCode = 0, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    /// <summary>Creates the exception.</summary>
    public TurnException()
        : this("TURN request failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public TurnException(string message)
        : this(message, 0)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public TurnException(string message, Exception innerException)
        : this(message, 0, innerException)
    {
    }

    /// <summary>The STUN error code of the server's answer (401, 403, 437, 438, 441, 442, 486, 508, …), or 0 (timeout, network, TLS).</summary>
    public int ErrorCode { get; }
}
