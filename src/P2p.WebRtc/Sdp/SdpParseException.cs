namespace P2p.WebRtc.Sdp;

/// <summary>
/// Thrown when a session description (RFC 8866) or one of its attributes is malformed. Names the
/// offending line by number (1-based; 0 when the text was a single attribute or candidate line) and
/// content.
/// </summary>
public sealed class SdpParseException : FormatException
{
    /// <summary>Creates an exception for a malformed line.</summary>
    /// <param name="lineNumber">The 1-based line number, or 0 when unknown.</param>
    /// <param name="line">The offending line's text.</param>
    /// <param name="reason">What is wrong with it.</param>
    public SdpParseException(int lineNumber, string line, string reason)
        : base(lineNumber > 0
            ? $"Malformed SDP at line {lineNumber} \"{Truncate(line)}\": {reason}"
            : $"Malformed SDP line \"{Truncate(line)}\": {reason}")
    {
        LineNumber = lineNumber;
        Line = line;
        Reason = reason;
    }

    /// <summary>Creates an exception without line information.</summary>
    public SdpParseException()
        : this(0, string.Empty, "malformed SDP")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">The message.</param>
    public SdpParseException(string message)
        : this(0, string.Empty, message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SdpParseException(string message, Exception innerException)
        : base(message, innerException)
    {
        Line = string.Empty;
        Reason = message;
    }

    /// <summary>The 1-based number of the malformed line, or 0 when unknown.</summary>
    public int LineNumber { get; }

    /// <summary>The malformed line's text.</summary>
    public string Line { get; }

    /// <summary>What is wrong with the line.</summary>
    public string Reason { get; }

    /// <summary>Returns a copy that carries the given line number and full line.</summary>
    internal SdpParseException WithLine(int lineNumber, string line) => new(lineNumber, line, Reason);

    private static string Truncate(string line) => line.Length <= 200 ? line : string.Concat(line.AsSpan(0, 200), "…");
}
