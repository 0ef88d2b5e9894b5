using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using P2p.Signaling.Server.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using P2p.Signaling.Server;
using P2p.Signaling.Server.Authorization;
using P2p.Signaling.Server.Groups;
using P2p.Signaling.Server.Redis;

// In the DI namespace, as ASP.NET Core's own Add* extensions are, so no extra using is needed.
#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers the P2p signaling server's services.</summary>
public static class SignalingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the signaling server: its options, an <see cref="IGroupStore"/> (unless one is already registered: the
    /// in-memory one, or the shared one in Redis when <see cref="SignalingServerOptions.Redis"/> is set, which also
    /// routes relays and notifications between instances), an <see cref="ISignalingAuthorizer"/> (one that allows
    /// everything, unless the application registers its own before or after this call) and the hub that tracks
    /// connections and closes (or, with Redis, drains) them on shutdown; its metrics (meter <c>"P2p.Signaling.Server"</c>, created through the host's
    /// <see cref="System.Diagnostics.Metrics.IMeterFactory"/>) and its health checks <c>"p2p-signaling"</c> (Healthy while
    /// serving, Unhealthy once the server is stopping) and <c>"redis"</c> (Unhealthy while Redis does not answer; Healthy
    /// without Redis).
    /// Then map the endpoint with <c>app.MapP2pSignaling("/")</c>, and the health checks with
    /// <c>app.MapP2pSignalingHealthChecks("/healthz")</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adjusts <see cref="SignalingServerOptions"/>.</param>
    public static IServiceCollection AddP2pSignaling(this IServiceCollection services, Action<SignalingServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SignalingServerOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<SignalingServerOptions>>().Value;
            return new OptionalRedisBackplane(settings.Redis is null ? null
                : new RedisBackplane(settings, sp.GetService<ILoggerFactory>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));
        });
        services.TryAddSingleton<IGroupStore>(sp =>
            sp.GetRequiredService<OptionalRedisBackplane>().Backplane?.Groups
            ?? (IGroupStore)new InMemoryGroupStore(sp.GetRequiredService<IOptions<SignalingServerOptions>>()));
        services.TryAddSingleton<ISignalingAuthorizer>(AllowAllSignalingAuthorizer.Instance);
        services.TryAddSingleton(sp => new SignalingMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<TimeProvider>()));
        services.AddHealthChecks();
        services.Configure<HealthCheckServiceOptions>(o =>
        {
            if (!o.Registrations.Any(r => r.Name == SignalingHealthCheck.Name))
            {
                o.Registrations.Add(new HealthCheckRegistration(SignalingHealthCheck.Name, sp => new SignalingHealthCheck(sp.GetRequiredService<SignalingHub>()), null, ["p2p", "signaling"]));
            }

            if (!o.Registrations.Any(r => r.Name == RedisHealthCheck.Name))
            {
                o.Registrations.Add(new HealthCheckRegistration(RedisHealthCheck.Name, sp => new RedisHealthCheck(sp.GetRequiredService<OptionalRedisBackplane>()), null, ["p2p", "redis"]));
            }
        });
        services.TryAddSingleton<SignalingHub>(sp => new SignalingHub(
            sp.GetRequiredService<IOptions<SignalingServerOptions>>(),
            sp.GetRequiredService<IGroupStore>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>(),
            sp.GetRequiredService<OptionalRedisBackplane>().Backplane,
            sp.GetService<ISignalingAuthorizer>()) // the last registration: the application's, when it added one after this call
        {
            Metrics = sp.GetRequiredService<SignalingMetrics>(),
        });
        services.AddHostedService(sp => sp.GetRequiredService<SignalingHub>());
        return services;
    }
}
