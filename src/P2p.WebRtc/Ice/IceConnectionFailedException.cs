namespace P2p.WebRtc.Ice;

/// <summary>ICE could not establish (or keep) a connection.</summary>
public sealed class IceConnectionFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public IceConnectionFailedException()
        : base("ICE failed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public IceConnectionFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public IceConnectionFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
