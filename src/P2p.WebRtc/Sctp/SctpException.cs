namespace P2p.WebRtc.Sctp;

/// <summary>An SCTP association failed or closed while an operation waited on it.</summary>
public sealed class SctpException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SctpException()
        : this("The SCTP association closed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SctpException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SctpException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from how the association closed.</summary>
    public SctpException(SctpCloseInfo closeInfo)
        : base($"The SCTP association closed: {closeInfo.Reason} ({closeInfo.Message}).")
        => CloseInfo = closeInfo;

    /// <summary>How the association closed, when known.</summary>
    public SctpCloseInfo? CloseInfo { get; }
}
