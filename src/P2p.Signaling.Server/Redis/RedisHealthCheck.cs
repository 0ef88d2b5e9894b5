using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace P2p.Signaling.Server.Redis;

/// <summary>
/// The "redis" health check: Healthy when Redis answers a PING within 2 s (or when no Redis is configured), Unhealthy
/// otherwise — the instance then answers most calls with <c>-32043</c>, so a load balancer should send new clients elsewhere.
/// </summary>
internal sealed class RedisHealthCheck(OptionalRedisBackplane holder) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (holder.Backplane is not { } redis)
        {
            return HealthCheckResult.Healthy("not used (groups live in this process)");
        }

        try
        {
            var latency = await redis.PingAsync().WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"PING {latency.TotalMilliseconds:0.###} ms (instance {redis.InstanceId})");
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis is unreachable: " + ex.Message);
        }
    }
}
