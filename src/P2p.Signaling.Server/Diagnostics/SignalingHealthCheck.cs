using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace P2p.Signaling.Server.Diagnostics;

/// <summary>
/// The <c>"p2p-signaling"</c> health check: Healthy while the hub takes new connections, Unhealthy as soon as it
/// has started closing them (the host is stopping), so a load balancer stops sending it new clients.
/// </summary>
internal sealed class SignalingHealthCheck(SignalingHub hub) : IHealthCheck
{
    /// <summary>The name the check is registered under.</summary>
    public const string Name = "p2p-signaling";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var connections = hub.ConnectionCount;
        var data = new Dictionary<string, object> { ["connections"] = connections };
        return Task.FromResult(hub.IsStopping
            ? HealthCheckResult.Unhealthy($"Stopping: closing its connections ({connections} left); takes no new ones.", data: data)
            : HealthCheckResult.Healthy($"Serving {connections} connections.", data));
    }
}
