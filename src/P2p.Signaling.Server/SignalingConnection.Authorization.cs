using System.Net;
using System.Security.Claims;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Authorization;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server;

/// <summary>A connection's access control: asks the hub's <see cref="ISignalingAuthorizer"/> before <c>create</c> and <c>join</c>.</summary>
internal sealed partial class SignalingConnection
{
    // The upgrade request's principal and address, captured when the connection opened.
    private readonly ClaimsPrincipal _user;
    private readonly IPAddress? _remoteAddress;
    private SignalingAuthorizationContext? _authorization;

    /// <summary>The caller as the authorizer sees it (made once the connection has a user id).</summary>
    private SignalingAuthorizationContext AuthorizationContext =>
        _authorization is { } context && context.UserId == _userId ? context : (_authorization = new(_user, _userId!, _remoteAddress));

    /// <summary>Asks whether this connection may create a group; when not, the call is answered (-32042, or -32603 when the authorizer failed).</summary>
    private ValueTask<bool> AuthorizeCreateAsync(RequestId id, int capability) =>
        AuthorizeAsync(id, static (a, c, capability, t) => a.CanCreateAsync(c, capability, t), capability, "create", "create a group");

    /// <summary>Asks whether this connection may join <paramref name="groupId"/>; when not, the call is answered (-32042, or -32603 when the authorizer failed).</summary>
    private ValueTask<bool> AuthorizeJoinAsync(RequestId id, string groupId) =>
        AuthorizeAsync(id, static (a, c, groupId, t) => a.CanJoinAsync(c, groupId, t), groupId, "join", $"join group '{groupId}'");

    private async ValueTask<bool> AuthorizeAsync<TArgument>(
        RequestId id,
        Func<ISignalingAuthorizer, SignalingAuthorizationContext, TArgument, CancellationToken, ValueTask<bool>> ask,
        TArgument argument,
        string method,
        string action)
    {
        bool allowed;
        try
        {
            allowed = await ask(_hub.Authorizer, AuthorizationContext, argument, Token);
        }
        catch (Exception ex) when (!Token.IsCancellationRequested)
        {
            Log.AuthorizerFailed(_hub.Logger, _id, _userId, method, ex);
            Reject(id, SignalingErrorCode.InternalError, "Internal error: the server's authorization check failed.");
            return false;
        }

        if (!allowed)
        {
            Log.Forbidden(_hub.Logger, _id, _userId!, action);
            Reject(id, SignalingErrorCode.Forbidden, $"Forbidden: not allowed to {action}.");
        }

        return allowed;
    }
}
