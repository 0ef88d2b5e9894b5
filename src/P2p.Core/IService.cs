using P2p.Signaling.Abstractions;

namespace P2p.Core;

/// <summary>
/// A member's connection to the P2p world (the seed's <c>IService</c>): one signaling connection, the
/// groups joined through it, and the peer connections that form each group's mesh.
/// </summary>
public interface IService : IAsyncDisposable
{
    /// <summary>Who this service is; <see langword="null"/> until <see cref="JoinAsync"/> completed.</summary>
    ServiceInfo? Info { get; }

    /// <summary>The groups this service is a member of.</summary>
    IReadOnlyCollection<IGroup> Groups { get; }

    /// <summary>Raised once when the signaling connection closes. Groups keep their open connections; see docs/concepts.md.</summary>
    event EventHandler<SignalingClosedEventArgs>? SignalingClosed;

    /// <summary>
    /// Raised when the signaling connection dropped and the channel is reconnecting (see
    /// <see cref="ISignalingChannel.Reconnecting"/>). Groups keep their connections meanwhile: broadcasts and requests
    /// go on over the mesh; only new connections (and ICE restarts) wait for signaling.
    /// </summary>
    event EventHandler<SignalingReconnectingEventArgs>? SignalingReconnecting;

    /// <summary>Raised when the signaling connection is back with the same user id and group memberships.</summary>
    event EventHandler? SignalingReconnected;

    /// <summary>
    /// Identifies this member to the signaling server (the seed's <c>join()</c>: <c>init</c>). Idempotent. When the
    /// transport asks for ICE servers from signaling (<see cref="Transport.IPeerConnectionFactory.IceServersFromSignaling"/>),
    /// it also fetches them (<c>get_ice_servers</c>).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>This member's identity.</returns>
    /// <exception cref="SignalingException">
    /// The server refused, or does not offer <c>get_ice_servers</c> when the transport asks for it
    /// (<see cref="SignalingErrorCode.MethodNotFound"/>).
    /// </exception>
    Task<ServiceInfo> JoinAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates a group owned by this member (calls <see cref="JoinAsync"/> first if needed).</summary>
    /// <param name="capability">What members may send.</param>
    /// <param name="options">Handlers and limits; <see langword="null"/> for <see cref="P2pOptions.DefaultGroupOptions"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    Task<IGroup> CreateGroupAsync(GroupCapability capability, GroupOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Joins a group and starts connecting to its members (calls <see cref="JoinAsync"/> first if needed). Returns
    /// once the membership is known; connections complete in the background (see <see cref="IGroup.WhenAllConnectedAsync"/>).
    /// </summary>
    /// <param name="groupId">The group's id.</param>
    /// <param name="options">Handlers and limits; <see langword="null"/> for <see cref="P2pOptions.DefaultGroupOptions"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="SignalingException">The server refused (e.g. <see cref="SignalingErrorCode.GroupNotFound"/>).</exception>
    /// <exception cref="InvalidOperationException">This service is already a member of the group.</exception>
    Task<IGroup> JoinGroupAsync(string groupId, GroupOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Leaves every group and closes the signaling connection (the seed's <c>close()</c>); same as disposal.</summary>
    /// <param name="cancellationToken">Stops waiting for the server.</param>
    Task CloseAsync(CancellationToken cancellationToken = default);
}
