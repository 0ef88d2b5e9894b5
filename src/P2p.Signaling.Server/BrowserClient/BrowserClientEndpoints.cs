using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace P2p.Signaling.Server.BrowserClient;

/// <summary>
/// Serves the browser client next to the signaling endpoint (same origin, same path): a plain GET of the
/// endpoint's path gets the demo page, and <c>{path}/p2p.js</c>, <c>{path}/demo.js</c>, ... the other files.
/// WebSocket requests to the endpoint are untouched.
/// </summary>
internal static class BrowserClientEndpoints
{
    /// <summary>
    /// Middleware for the signaling endpoint's own pipeline: a non-WebSocket GET or HEAD gets the demo page
    /// (redirected to the path with a trailing slash first, so that the page's relative links resolve
    /// under it); anything else goes on to the signaling handler.
    /// </summary>
    public static RequestDelegate ServePageUnlessWebSocket(RequestDelegate next) => context =>
    {
        var request = context.Request;
        if (context.WebSockets.IsWebSocketRequest || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)))
        {
            return next(context);
        }

        var path = request.PathBase.Add(request.Path);
        if (!path.HasValue || !path.Value!.EndsWith('/'))
        {
            context.Response.Redirect(path + "/" + request.QueryString);
            return Task.CompletedTask;
        }

        return BrowserClientFiles.ServeAsync(context, BrowserClientFiles.Index);
    };

    /// <summary>Maps every embedded file at <c>{pattern}/{name}</c> (GET and HEAD).</summary>
    public static List<IEndpointConventionBuilder> MapFiles(IEndpointRouteBuilder endpoints, string pattern)
    {
        var prefix = pattern.Trim('/');
        var builders = new List<IEndpointConventionBuilder>();
        foreach (var file in BrowserClientFiles.All.Values)
        {
            var route = prefix.Length == 0 ? "/" + file.Name : "/" + prefix + "/" + file.Name;
            builders.Add(endpoints
                .MapMethods(route, [HttpMethods.Get, HttpMethods.Head], context => BrowserClientFiles.ServeAsync(context, file))
                .WithDisplayName("P2p browser client: " + file.Name));
        }

        return builders;
    }
}
