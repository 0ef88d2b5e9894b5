namespace P2p.Signaling.Server.Groups;

/// <summary>The outcome of <see cref="IGroupStore.JoinAsync"/> or <see cref="IGroupStore.LeaveAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="OtherMembers">When <see cref="GroupOperationStatus.Done"/>: the members to notify (everyone but the user who joined or left); otherwise empty.</param>
/// <param name="GroupRemoved">The user was the last member to leave, so the group no longer exists.</param>
public readonly record struct GroupMembershipChange(GroupOperationStatus Status, IReadOnlyList<string> OtherMembers, bool GroupRemoved = false)
{
    /// <summary>A change of the given status with nobody to notify.</summary>
    /// <param name="status">What happened.</param>
    public static GroupMembershipChange Of(GroupOperationStatus status) => new(status, []);
}
