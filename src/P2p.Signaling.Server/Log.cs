using Microsoft.Extensions.Logging;

namespace P2p.Signaling.Server;

/// <summary>The server's log messages (source-generated; free when the level is off).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Connection {ConnectionId} opened from {Remote}")]
    public static partial void ConnectionOpened(ILogger logger, long connectionId, string remote);

    [LoggerMessage(2, LogLevel.Information, "Connection {ConnectionId} (user {UserId}) closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, string? userId, string reason);

    [LoggerMessage(3, LogLevel.Debug, "Connection {ConnectionId} is user {UserId}")]
    public static partial void Initialised(ILogger logger, long connectionId, string userId);

    [LoggerMessage(4, LogLevel.Debug, "User {UserId} created group {GroupId} (capability {Capability})")]
    public static partial void GroupCreated(ILogger logger, string userId, string groupId, int capability);

    [LoggerMessage(5, LogLevel.Debug, "User {UserId} joined group {GroupId}")]
    public static partial void Joined(ILogger logger, string userId, string groupId);

    [LoggerMessage(6, LogLevel.Debug, "User {UserId} left group {GroupId}{Removed}")]
    public static partial void Left(ILogger logger, string userId, string groupId, string removed);

    [LoggerMessage(7, LogLevel.Debug, "Connection {ConnectionId}: rejected a message with {Code}: {Message}")]
    public static partial void Rejected(ILogger logger, long connectionId, int code, string message);

    [LoggerMessage(8, LogLevel.Warning, "Connection {ConnectionId} (user {UserId}) fell {Bytes} bytes behind its send queue limit; disconnecting it")]
    public static partial void SlowConsumer(ILogger logger, long connectionId, string? userId, long bytes);

    [LoggerMessage(9, LogLevel.Error, "Connection {ConnectionId} failed unexpectedly")]
    public static partial void Unexpected(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(10, LogLevel.Debug, "Connection {ConnectionId}: dropped an answer to unknown or expired relay {RelayId}")]
    public static partial void UnmatchedAnswer(ILogger logger, long connectionId, string relayId);

    [LoggerMessage(11, LogLevel.Information, "Connection {ConnectionId}: dropped a message of more than {Limit} bytes")]
    public static partial void TooLarge(ILogger logger, long connectionId, int limit);

    [LoggerMessage(12, LogLevel.Information, "Signaling server stopping: closing {Count} connections")]
    public static partial void Stopping(ILogger logger, int count);

    [LoggerMessage(13, LogLevel.Information, "get_ice_servers: {StaticCount} static server(s); TURN REST credentials for {TurnUrls}, valid for {Lifetime}")]
    public static partial void IceServersConfigured(ILogger logger, int staticCount, string turnUrls, TimeSpan lifetime);

    [LoggerMessage(14, LogLevel.Debug, "Connection {ConnectionId} (user {UserId}): issued {Count} ICE server(s){Expiry}")]
    public static partial void IceServersIssued(ILogger logger, long connectionId, string userId, int count, string expiry);

    [LoggerMessage(15, LogLevel.Information, "Connection {ConnectionId} (user {UserId}) dropped without a close handshake: the user stays in {Count} group(s) for {GracePeriod} awaiting resume")]
    public static partial void Detached(ILogger logger, long connectionId, string userId, int count, TimeSpan gracePeriod);

    [LoggerMessage(16, LogLevel.Information, "User {UserId} did not resume within {GracePeriod}: leaving its groups")]
    public static partial void SessionExpired(ILogger logger, string userId, TimeSpan gracePeriod);

    [LoggerMessage(17, LogLevel.Information, "Connection {ConnectionId} resumed user {UserId} ({Count} group(s)){How}")]
    public static partial void Resumed(ILogger logger, long connectionId, string userId, int count, string how);

    [LoggerMessage(18, LogLevel.Information, "Connection {ConnectionId}: resume refused: {Reason}")]
    public static partial void ResumeRefused(ILogger logger, long connectionId, string reason);

    // 40..49: access control and limits (issue 15).
    [LoggerMessage(40, LogLevel.Error, "Connection {ConnectionId} (user {UserId}): the signaling authorizer failed on {Method}; the call fails with -32603")]
    public static partial void AuthorizerFailed(ILogger logger, long connectionId, string? userId, string method, Exception exception);

    [LoggerMessage(41, LogLevel.Information, "Connection {ConnectionId} (user {UserId}): the signaling authorizer refused to {What}")]
    public static partial void Forbidden(ILogger logger, long connectionId, string userId, string what);
}
