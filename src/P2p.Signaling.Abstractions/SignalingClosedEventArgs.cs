namespace P2p.Signaling.Abstractions;

/// <summary>Why a signaling channel closed.</summary>
/// <param name="reason">A human-readable reason (e.g. the server's close description).</param>
/// <param name="exception">The failure that closed the channel; <see langword="null"/> for an orderly close or disposal.</param>
public sealed class SignalingClosedEventArgs(string reason, Exception? exception) : EventArgs
{
    /// <summary>A human-readable reason (e.g. the server's close description).</summary>
    public string Reason { get; } = reason;

    /// <summary>The failure that closed the channel; <see langword="null"/> for an orderly close or disposal.</summary>
    public Exception? Exception { get; } = exception;
}
