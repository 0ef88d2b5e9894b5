namespace P2p.Signaling.Server.Groups;

/// <summary>The outcome of a membership change.</summary>
public enum GroupOperationStatus
{
    /// <summary>The membership changed (the user joined or left).</summary>
    Done,

    /// <summary>Nothing to do: the user was already a member (join).</summary>
    Unchanged,

    /// <summary>There is no group with this id.</summary>
    GroupNotFound,

    /// <summary>The user is not a member (leave).</summary>
    NotMember,

    /// <summary>The group already has as many members as allowed (<see cref="SignalingServerOptions.MaxMembersPerGroup"/>); the user did not join.</summary>
    GroupFull,
}
