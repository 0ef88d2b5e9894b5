using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using P2p.Signaling.Server.Diagnostics;

// In ASP.NET Core's builder namespace, as its own Map* extensions are.
#pragma warning disable IDE0130
namespace Microsoft.AspNetCore.Builder;
#pragma warning restore IDE0130

/// <summary>Maps the health endpoint of a P2p signaling server.</summary>
public static class SignalingHealthEndpointRouteBuilderExtensions
{
    /// <summary>The default path of the health endpoint.</summary>
    public const string DefaultPattern = "/healthz";

    /// <summary>
    /// Serves every registered health check (<c>services.AddP2pSignaling()</c> registers <c>"p2p-signaling"</c>) at
    /// <paramref name="pattern"/> with <c>MapHealthChecks</c>: 200 while all are Healthy (or Degraded), 503 once one is
    /// Unhealthy — the signaling check is, from the moment the server starts closing its connections. The body is JSON
    /// listing each check's name, status and description (see docs/deploying.md, "Health checks").
    /// </summary>
    /// <param name="endpoints">The application's endpoint builder (e.g. the <c>WebApplication</c>).</param>
    /// <param name="pattern">The route, default <c>"/healthz"</c>.</param>
    /// <returns>The endpoint's convention builder (to add host filters, authorization, ...).</returns>
    public static IEndpointConventionBuilder MapP2pSignalingHealthChecks(this IEndpointRouteBuilder endpoints, string pattern = DefaultPattern)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        return endpoints.MapHealthChecks(pattern, new HealthCheckOptions { ResponseWriter = SignalingHealthResponseWriter.WriteAsync })
            .WithDisplayName("P2p signaling health checks");
    }
}
