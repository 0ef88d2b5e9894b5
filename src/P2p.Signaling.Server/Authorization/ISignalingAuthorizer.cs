namespace P2p.Signaling.Server.Authorization;

/// <summary>
/// Decides which groups a connection may create and join. Register your own implementation as a singleton
/// (before or after <c>AddP2pSignaling</c>; yours wins) to replace the default, which allows everything.
/// </summary>
/// <remarks>
/// <para>It runs once per <c>create</c> and once per <c>join</c> of a group the caller is not already a member of
/// (never for relays), on the connection's read loop: the connection handles its next message only when the
/// answer is known, so keep it quick (cache what you look up).</para>
/// <para>A refusal fails the call with <c>-32042</c> (Forbidden); an exception fails it with <c>-32603</c>
/// (Internal error) and is logged; the connection stays open either way. Who may connect at all is decided
/// before the WebSocket upgrade by ASP.NET Core's authorization
/// (<c>app.MapP2pSignaling("/").RequireAuthorization(...)</c>), see docs/deploying.md.</para>
/// </remarks>
public interface ISignalingAuthorizer
{
    /// <summary>Whether the connection may create a group.</summary>
    /// <param name="context">Who asks: the authenticated principal, the signaling user id, the remote address.</param>
    /// <param name="capability">The capability the new group would have (already validated, 0..15).</param>
    /// <param name="cancellationToken">Cancelled when the connection closes.</param>
    /// <returns><see langword="true"/> to allow it, <see langword="false"/> to refuse it with <c>-32042</c>.</returns>
    ValueTask<bool> CanCreateAsync(SignalingAuthorizationContext context, int capability, CancellationToken cancellationToken);

    /// <summary>Whether the connection may join a group (it is not a member yet).</summary>
    /// <param name="context">Who asks: the authenticated principal, the signaling user id, the remote address.</param>
    /// <param name="groupId">The group to join (it may not exist: then the call fails with <c>-32002</c> if allowed).</param>
    /// <param name="cancellationToken">Cancelled when the connection closes.</param>
    /// <returns><see langword="true"/> to allow it, <see langword="false"/> to refuse it with <c>-32042</c>.</returns>
    ValueTask<bool> CanJoinAsync(SignalingAuthorizationContext context, string groupId, CancellationToken cancellationToken);
}
