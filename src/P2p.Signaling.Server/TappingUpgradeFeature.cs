using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server;

/// <summary>
/// Stands in for the request's HTTP/1.1 upgrade feature ahead of the WebSocket middleware, so the upgraded
/// connection's stream reaches the WebSocket through a <see cref="ConnectionTap"/>: the connection's
/// <see cref="FrameSender"/> then writes the messages queued for a client in one write instead of one
/// <c>SendAsync</c> each. The handshake itself stays the middleware's.
/// </summary>
internal sealed class TappingUpgradeFeature(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
{
    /// <summary>The tap over the upgraded stream, once upgraded.</summary>
    public ConnectionTap? Tap { get; private set; }

    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    /// <summary>Middleware: installs the stand-in on upgradable requests.</summary>
    public static Task InstallAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            context.Features.Set<IHttpUpgradeFeature>(new TappingUpgradeFeature(upgrade));
        }

        return next(context);
    }

    /// <summary>The tap of the request's upgraded stream, if the stand-in was installed and the request upgraded.</summary>
    public static ConnectionTap? TapOf(HttpContext context) => (context.Features.Get<IHttpUpgradeFeature>() as TappingUpgradeFeature)?.Tap;

    public async Task<Stream> UpgradeAsync()
    {
        var stream = await inner.UpgradeAsync().ConfigureAwait(false);
        var tap = new ConnectionTap(stream, isClient: false);
        Tap = tap;
        return tap;
    }
}
