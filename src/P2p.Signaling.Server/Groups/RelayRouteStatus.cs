namespace P2p.Signaling.Server.Groups;

/// <summary>Whether a relay may pass (see <see cref="IGroupStore.CheckRelayAsync"/>).</summary>
public enum RelayRouteStatus
{
    /// <summary>Both users are members of the group.</summary>
    Allowed,

    /// <summary>There is no group with this id.</summary>
    GroupNotFound,

    /// <summary>The sender is not a member of the group.</summary>
    SenderNotMember,

    /// <summary>The target is not a member of the group.</summary>
    TargetNotMember,
}
