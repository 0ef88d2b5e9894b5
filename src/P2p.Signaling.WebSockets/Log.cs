using Microsoft.Extensions.Logging;

namespace P2p.Signaling.WebSockets;

/// <summary>The client's log messages (source-generated, no allocation when the level is off).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Signaling channel connected to {Uri}")]
    public static partial void Connected(ILogger logger, Uri uri);

    [LoggerMessage(2, LogLevel.Information, "Signaling channel closed: {Reason}")]
    public static partial void Closed(ILogger logger, string reason, Exception? exception);

    [LoggerMessage(3, LogLevel.Warning, "Dropped a malformed message from the signaling server: {Problem}")]
    public static partial void MalformedMessage(ILogger logger, string problem);

    [LoggerMessage(4, LogLevel.Debug, "Dropped a response to an unknown request id {Id}")]
    public static partial void UnmatchedResponse(ILogger logger, string id);

    [LoggerMessage(5, LogLevel.Warning, "The relay handler failed for a relay from {FromUserId} in group {GroupId}")]
    public static partial void RelayHandlerFailed(ILogger logger, string fromUserId, string groupId, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "A {Event} event handler threw")]
    public static partial void EventHandlerFailed(ILogger logger, string @event, Exception exception);

    [LoggerMessage(7, LogLevel.Debug, "Ignored a server message with method {Method}")]
    public static partial void IgnoredMethod(ILogger logger, string method);

    [LoggerMessage(8, LogLevel.Warning, "Dropped a message of more than {Limit} bytes from the signaling server")]
    public static partial void MessageTooLarge(ILogger logger, int limit);

    [LoggerMessage(9, LogLevel.Warning, "Signaling connection lost ({Reason}); reconnecting to resume user {UserId} for up to {Timeout}")]
    public static partial void Reconnecting(ILogger logger, string reason, string? userId, TimeSpan timeout, Exception? exception);

    [LoggerMessage(10, LogLevel.Debug, "Reconnection attempt {Attempt} to {Uri}")]
    public static partial void ReconnectAttempt(ILogger logger, int attempt, Uri uri);

    [LoggerMessage(11, LogLevel.Debug, "Reconnection attempt {Attempt} failed: {Problem}")]
    public static partial void ReconnectAttemptFailed(ILogger logger, int attempt, string problem);

    [LoggerMessage(12, LogLevel.Information, "Signaling connection resumed as user {UserId} after {Elapsed} ({Attempts} attempt(s); {Groups} group(s) kept)")]
    public static partial void Resumed(ILogger logger, string? userId, TimeSpan elapsed, int attempts, int groups);

    [LoggerMessage(13, LogLevel.Debug, "No resume token: {Problem}")]
    public static partial void NoResumeToken(ILogger logger, string problem);

    [LoggerMessage(14, LogLevel.Debug, "Sending to the signaling server failed; dropping the connection")]
    public static partial void SendFailed(ILogger logger, Exception exception);
}
