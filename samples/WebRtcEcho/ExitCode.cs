namespace WebRtcEcho;

/// <summary>The process exit codes (docs/webrtc-echo.md, "Exit codes").</summary>
internal enum ExitCode
{
    /// <summary>Offer mode: everything came back intact. Answer mode: the peer closed the connection after it was up.</summary>
    Ok = 0,

    /// <summary>The connection failed or closed early, a channel closed early, or the echoed data was wrong.</summary>
    Failed = 1,

    /// <summary>A bad command line, or a <c>--msg-kib</c> larger than the peer's maximum message size.</summary>
    Usage = 2,

    /// <summary>Nothing finished within <c>--timeout</c> seconds.</summary>
    Timeout = 3,

    /// <summary>An essential signaling line (the offer or the answer) was malformed or could not be applied, or stdin closed before it arrived.</summary>
    Signaling = 4,

    /// <summary>Interrupted by Ctrl+C (SIGINT) or SIGTERM.</summary>
    Interrupted = 130,
}
