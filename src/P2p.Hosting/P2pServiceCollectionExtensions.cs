using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace P2p.Hosting;

/// <summary>Registers P2p with dependency injection, for a Generic Host worker or an ASP.NET Core application.</summary>
public static class P2pServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="P2pClient"/> (a singleton: one signaling connection and one <see cref="Core.P2pService"/> for the
    /// application) and its settings. The settings are validated when the host starts (<c>ValidateOnStart</c>): a missing or
    /// malformed signaling address or an invalid timeout stops the host with an <see cref="OptionsValidationException"/>
    /// naming every problem. Logging goes to the host's <see cref="Microsoft.Extensions.Logging.ILoggerFactory"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets <see cref="P2pClientOptions"/> (at least <see cref="P2pClientOptions.SignalingUri"/>).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddP2p(this IServiceCollection services, Action<P2pClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<P2pClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<P2pClientOptions>, P2pClientOptionsValidator>());
        services.TryAddSingleton<P2pClient>();
        return services;
    }
}
