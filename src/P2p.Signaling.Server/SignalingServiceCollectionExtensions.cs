using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using P2p.Signaling.Server;
using P2p.Signaling.Server.Authorization;
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
    /// one is already registered), an <see cref="ISignalingAuthorizer"/> (one that allows everything, unless
    /// one is registered before or after this call) and the hub that tracks connections and closes them on shutdown.
    /// Then map the endpoint with <c>app.MapP2pSignaling("/")</c>.
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
        services.TryAddSingleton<ISignalingAuthorizer>(AllowAllSignalingAuthorizer.Instance);
        services.TryAddSingleton<SignalingHub>(sp => new SignalingHub(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SignalingServerOptions>>(),
            sp.GetRequiredService<IGroupStore>(),
            sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>(),
            sp.GetService<ISignalingAuthorizer>())); // the last registration: the application's, when it added one after this call
        services.AddHostedService(sp => sp.GetRequiredService<SignalingHub>());
        return services;
    }
}
