using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using P2p.Signaling.Server;
using P2p.Signaling.Server.Diagnostics;
using P2p.Signaling.Server.Groups;

// In the DI namespace, as ASP.NET Core's own Add* extensions are, so no extra using is needed.
#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers the P2p signaling server's services.</summary>
public static class SignalingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the signaling server: its options, an <see cref="IGroupStore"/> (the in-memory one unless
    /// one is already registered) and the hub that tracks connections and closes them on shutdown; its metrics
    /// (meter <c>"P2p.Signaling.Server"</c>, created through the host's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>)
    /// and its health check <c>"p2p-signaling"</c> (Healthy while serving, Unhealthy once the server is stopping).
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

        services.TryAddSingleton<IGroupStore, InMemoryGroupStore>();
        services.TryAddSingleton(sp => new SignalingMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<TimeProvider>()));
        services.AddHealthChecks();
        services.Configure<HealthCheckServiceOptions>(o =>
        {
            if (!o.Registrations.Any(r => r.Name == SignalingHealthCheck.Name))
            {
                o.Registrations.Add(new HealthCheckRegistration(SignalingHealthCheck.Name, sp => new SignalingHealthCheck(sp.GetRequiredService<SignalingHub>()), null, ["p2p", "signaling"]));
            }
        });
        services.TryAddSingleton<SignalingHub>(sp => new SignalingHub(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SignalingServerOptions>>(),
            sp.GetRequiredService<IGroupStore>(),
            sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>())
        {
            Metrics = sp.GetRequiredService<SignalingMetrics>(),
        });
        services.AddHostedService(sp => sp.GetRequiredService<SignalingHub>());
        return services;
    }
}
