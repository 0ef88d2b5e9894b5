using Microsoft.Extensions.Logging;

namespace P2p.Signaling.Server.Redis;

/// <summary>The Redis backplane's log messages (source-generated).</summary>
internal static partial class RedisLog
{
    [LoggerMessage(100, LogLevel.Information, "Signaling instance {InstanceId} uses Redis {Endpoints} (prefix '{Prefix}')")]
    public static partial void Started(ILogger logger, string instanceId, string endpoints, string prefix);

    [LoggerMessage(101, LogLevel.Warning, "Redis is unreachable ({Message}); requests that need it fail with -32043 until it is back")]
    public static partial void Unreachable(ILogger logger, string message);

    [LoggerMessage(102, LogLevel.Information, "Redis is reachable again")]
    public static partial void Reachable(ILogger logger);

    [LoggerMessage(103, LogLevel.Warning, "Signaling instance {InstanceId} stopped its heartbeat: removing its {Count} member(s) from their groups")]
    public static partial void InstanceFailed(ILogger logger, string instanceId, int count);

    [LoggerMessage(104, LogLevel.Warning, "User {UserId} was removed or taken over while this instance was cut off from Redis: closing its connection")]
    public static partial void LostWhileCutOff(ILogger logger, string userId);

    [LoggerMessage(105, LogLevel.Debug, "Dropped a backplane message that is not ours (or from another version) on {Channel}")]
    public static partial void Malformed(ILogger logger, string channel);

    [LoggerMessage(106, LogLevel.Warning, "The Redis backplane's housekeeping failed")]
    public static partial void HousekeepingFailed(ILogger logger, Exception exception);

    [LoggerMessage(108, LogLevel.Warning, "Connection {ConnectionId}: Redis is unreachable ({Message})")]
    public static partial void CallFailed(ILogger logger, long connectionId, string message);

    [LoggerMessage(107, LogLevel.Information, "Signaling instance {InstanceId} leaves the cluster")]
    public static partial void Leaving(ILogger logger, string instanceId);
}
