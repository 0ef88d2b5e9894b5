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
    private async ValueTask<bool> AuthorizeCreateAsync(RequestId id, int capability)
    {
        bool allowed;
        try
        {
            allowed = await _hub.Authorizer.CanCreateAsync(AuthorizationContext, capability, Token);
        }
        catch (Exception ex) when (!Token.IsCancellationRequested)
        {
            Log.AuthorizerFailed(_hub.Logger, _id, _userId, "create", ex);
            Reject(id, SignalingErrorCode.InternalError, "Internal error: the server's authorization check failed.");
            return false;
        }

        if (!allowed)
        {
            Log.Forbidden(_hub.Logger, _id, _userId!, "create a group");
            Reject(id, SignalingErrorCode.Forbidden, "Forbidden: not allowed to create a group.");
        }

        return allowed;
    }

    /// <summary>Asks whether this connection may join <paramref name="groupId"/>; when not, the call is answered (-32042, or -32603 when the authorizer failed).</summary>
    private async ValueTask<bool> AuthorizeJoinAsync(RequestId id, string groupId)
    {
        bool allowed;
        try
        {
            allowed = await _hub.Authorizer.CanJoinAsync(AuthorizationContext, groupId, Token);
        }
        catch (Exception ex) when (!Token.IsCancellationRequested)
        {
            Log.AuthorizerFailed(_hub.Logger, _id, _userId, "join", ex);
            Reject(id, SignalingErrorCode.InternalError, "Internal error: the server's authorization check failed.");
            return false;
        }

        if (!allowed)
        {
            Log.Forbidden(_hub.Logger, _id, _userId!, $"join group {groupId}");
            Reject(id, SignalingErrorCode.Forbidden, $"Forbidden: not allowed to join group '{groupId}'.");
        }

        return allowed;
    }
}
