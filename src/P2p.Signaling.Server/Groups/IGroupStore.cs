using P2p.Signaling.Abstractions;

namespace P2p.Signaling.Server.Groups;

/// <summary>
/// Where groups and their membership live. The default, <see cref="InMemoryGroupStore"/>, serves one
/// server process; a shared implementation (e.g. on Redis) lets several server instances serve the
/// same groups. Register your own before calling <c>AddP2pSignaling</c> to replace it.
/// </summary>
/// <remarks>
/// Implementations must be thread-safe and should not serialise unrelated groups behind one lock.
/// <see cref="CheckRelayAsync"/> runs for every relay: keep it cheap (an in-process implementation
/// should complete synchronously).
/// </remarks>
public interface IGroupStore
{
    /// <summary>Creates a group whose owner and first member is <paramref name="ownerId"/>.</summary>
    /// <param name="ownerId">The creating user.</param>
    /// <param name="capability">The group's capability bit set (already validated, 0..15).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new group's id (128 random bits, lowercase hex).</returns>
    ValueTask<string> CreateAsync(string ownerId, int capability, CancellationToken cancellationToken);

    /// <summary>
    /// Adds a member. Joining twice is <see cref="GroupOperationStatus.Unchanged"/> (even when the group is full);
    /// joining a group that already has <see cref="SignalingServerOptions.MaxMembersPerGroup"/> members is
    /// <see cref="GroupOperationStatus.GroupFull"/> (check and add atomically, so concurrent joins never overshoot).
    /// </summary>
    /// <param name="groupId">The group.</param>
    /// <param name="userId">The joining user.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The outcome and, when the user joined, the members to notify (everyone but the joiner).</returns>
    ValueTask<GroupMembershipChange> JoinAsync(string groupId, string userId, CancellationToken cancellationToken);

    /// <summary>Removes a member; removes the group when its last member leaves.</summary>
    /// <param name="groupId">The group.</param>
    /// <param name="userId">The leaving user.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The outcome and, when the user left, the remaining members to notify.</returns>
    ValueTask<GroupMembershipChange> LeaveAsync(string groupId, string userId, CancellationToken cancellationToken);

    /// <summary>Describes a group; <see langword="null"/> when there is no such group.</summary>
    /// <param name="groupId">The group.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    ValueTask<GroupInfo?> GetAsync(string groupId, CancellationToken cancellationToken);

    /// <summary>Decides whether <paramref name="fromUserId"/> may relay to <paramref name="toUserId"/> in a group: both must be members.</summary>
    /// <param name="groupId">The group.</param>
    /// <param name="fromUserId">The sender.</param>
    /// <param name="toUserId">The target.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    ValueTask<RelayRouteStatus> CheckRelayAsync(string groupId, string fromUserId, string toUserId, CancellationToken cancellationToken);

    /// <summary>
    /// Restores a group a resuming member says it was in (after a server restart): joins <paramref name="userId"/>
    /// to it if it exists, or re-creates it with this id, owner and capability and the user as its only member.
    /// The default implementation only joins (a store that cannot choose group ids does not re-create).
    /// </summary>
    /// <param name="groupId">The group's id, as the member knew it.</param>
    /// <param name="ownerId">The group's owner, as the member knew it.</param>
    /// <param name="capability">The group's capability (already validated, 0..15).</param>
    /// <param name="userId">The resuming member.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>As <see cref="JoinAsync"/> (including <see cref="GroupOperationStatus.GroupFull"/> when the group exists and is full); <see cref="GroupOperationStatus.Done"/> with no one to notify when the group was re-created.</returns>
    ValueTask<GroupMembershipChange> RestoreAsync(string groupId, string ownerId, int capability, string userId, CancellationToken cancellationToken) =>
        JoinAsync(groupId, userId, cancellationToken);
}
