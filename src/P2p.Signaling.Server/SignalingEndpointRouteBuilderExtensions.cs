using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using P2p.Signaling.Server;
using P2p.Signaling.Server.BrowserClient;

// In ASP.NET Core's builder namespace, as its own Map* extensions are.
#pragma warning disable IDE0130
namespace Microsoft.AspNetCore.Builder;
#pragma warning restore IDE0130

/// <summary>Maps the P2p signaling WebSocket endpoint.</summary>
public static class SignalingEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves the P2p JSON-RPC 2.0 signaling protocol over WebSockets at <paramref name="pattern"/>
    /// (the seed's clients use <c>"/"</c>). Requires <c>services.AddP2pSignaling()</c>. A plain HTTP
    /// request to the endpoint gets 426 Upgrade Required — unless
    /// <see cref="SignalingServerOptions.ServeBrowserClient"/> is set: then a plain GET gets the demo page,
    /// and the browser client's files are served next to it (<c>{pattern}/p2p.js</c>, ...), from the same
    /// origin as the WebSocket endpoint.
    /// </summary>
    /// <param name="endpoints">The application's endpoint builder (e.g. the <c>WebApplication</c>).</param>
    /// <param name="pattern">The route, default <c>"/"</c>.</param>
    /// <returns>The endpoints' convention builder (to add authorization, CORS, host filters...).</returns>
    public static IEndpointConventionBuilder MapP2pSignaling(this IEndpointRouteBuilder endpoints, string pattern = "/")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        var hub = endpoints.ServiceProvider.GetService<SignalingHub>()
            ?? throw new InvalidOperationException("Call services.AddP2pSignaling() before MapP2pSignaling().");

        // The WebSocket middleware runs only for this endpoint, so the application needs no UseWebSockets().
        var pipeline = endpoints.CreateApplicationBuilder();
        pipeline.Use(TappingUpgradeFeature.InstallAsync);
        pipeline.UseWebSockets(new WebSocketOptions { KeepAliveInterval = hub.Options.KeepAliveInterval, KeepAliveTimeout = hub.Options.KeepAliveTimeout });
        if (hub.Options.ServeBrowserClient)
        {
            pipeline.Use(BrowserClientEndpoints.ServePageUnlessWebSocket);
        }

        pipeline.Run(hub.HandleAsync);
        var signaling = endpoints.Map(pattern, pipeline.Build()).WithDisplayName("P2p signaling (WebSocket)");
        if (!hub.Options.ServeBrowserClient)
        {
            return signaling;
        }

        return new CompositeEndpointConventionBuilder([signaling, .. BrowserClientEndpoints.MapFiles(endpoints, pattern)]);
    }
}
