namespace WebRtcEcho;

/// <summary>Ends the run with an exit code and a reason printed on stderr.</summary>
internal sealed class EchoException : Exception
{
    public EchoException(ExitCode code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    public EchoException()
        : this(ExitCode.Failed, "failed")
    {
    }

    public EchoException(string message)
        : this(ExitCode.Failed, message)
    {
    }

    public EchoException(string message, Exception innerException)
        : this(ExitCode.Failed, message, innerException)
    {
    }

    /// <summary>The process exit code.</summary>
    public ExitCode Code { get; }
}
