namespace P2p.Signaling.Abstractions;

/// <summary>Why a signaling channel lost its connection and started reconnecting (<see cref="ISignalingChannel.Reconnecting"/>).</summary>
/// <param name="reason">A human-readable reason (e.g. the server's close status, or the socket error).</param>
/// <param name="exception">The failure that dropped the connection, if any.</param>
public sealed class SignalingReconnectingEventArgs(string reason, Exception? exception) : EventArgs
{
    /// <summary>A human-readable reason (e.g. the server's close status, or the socket error).</summary>
    public string Reason { get; } = reason;

    /// <summary>The failure that dropped the connection; <see langword="null"/> when the server closed it (e.g. 1001 going away).</summary>
    public Exception? Exception { get; } = exception;
}
