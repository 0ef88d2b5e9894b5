using System.Net;
using System.Security.Claims;

namespace P2p.Signaling.Server.Authorization;

/// <summary>Who makes a call, as an <see cref="ISignalingAuthorizer"/> sees it.</summary>
public sealed class SignalingAuthorizationContext
{
    /// <summary>Creates a context (the server makes one per connection; tests of an authorizer may make their own).</summary>
    /// <param name="user">The principal ASP.NET Core authenticated for the WebSocket upgrade request.</param>
    /// <param name="userId">The signaling user id the server gave the connection (<c>init</c> or <c>resume</c>).</param>
    /// <param name="remoteAddress">The client's IP address, when known.</param>
    public SignalingAuthorizationContext(ClaimsPrincipal user, string userId, IPAddress? remoteAddress)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(userId);
        User = user;
        UserId = userId;
        RemoteAddress = remoteAddress;
    }

    /// <summary>
    /// The principal of the WebSocket upgrade request (<c>HttpContext.User</c>, captured when the connection opened):
    /// the claims of its JWT or cookie when the endpoint requires authentication, an anonymous principal otherwise.
    /// </summary>
    public ClaimsPrincipal User { get; }

    /// <summary>The signaling user id of the connection (the id other members see).</summary>
    public string UserId { get; }

    /// <summary>The client's IP address (as Kestrel sees it: behind a proxy, configure forwarded headers), when known.</summary>
    public IPAddress? RemoteAddress { get; }
}
