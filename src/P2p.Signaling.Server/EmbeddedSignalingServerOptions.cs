using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace P2p.Signaling.Server;

/// <summary>Settings of an <see cref="EmbeddedSignalingServer"/>.</summary>
public sealed record EmbeddedSignalingServerOptions
{
    /// <summary>Where Kestrel listens; port 0 picks a free port. Default <c>http://127.0.0.1:0</c>.</summary>
    public string Url { get; init; } = "http://127.0.0.1:0";

    /// <summary>The endpoint's path (<see cref="SignalingEndpointRouteBuilderExtensions.MapP2pSignaling"/>). Default <c>/</c>.</summary>
    public string Path { get; init; } = "/";

    /// <summary>
    /// The path of the health endpoint (<see cref="SignalingHealthEndpointRouteBuilderExtensions.MapP2pSignalingHealthChecks"/>):
    /// 200 while serving, 503 once stopping. Default <c>/healthz</c>; null maps none.
    /// </summary>
    public string? HealthPath { get; init; } = SignalingHealthEndpointRouteBuilderExtensions.DefaultPattern;

    /// <summary>The signaling server's own settings (timeouts, limits, serving the browser client).</summary>
    public Action<SignalingServerOptions>? Configure { get; init; }

    /// <summary>
    /// The resume key (base64, see <see cref="SignalingServerOptions.ResumeKey"/>), applied after <see cref="Configure"/>.
    /// Give a new server on the same <see cref="Url"/> the key of the one it replaces, and clients of the old
    /// one resume their sessions on it. Null: a random key (or the one <see cref="Configure"/> sets).
    /// </summary>
    public string? ResumeKey { get; init; }

    /// <summary>Logging for the server and Kestrel; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Adds or replaces services before the server's own (e.g. another <see cref="Groups.IGroupStore"/>).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Adds endpoints to the application after the signaling endpoint is mapped.</summary>
    public Action<WebApplication>? ConfigureApplication { get; init; }
}
