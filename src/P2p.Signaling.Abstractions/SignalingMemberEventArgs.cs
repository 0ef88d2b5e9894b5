namespace P2p.Signaling.Abstractions;

/// <summary>A membership change in a group (<c>member_joined</c> / <c>member_left</c>).</summary>
/// <param name="groupId">The group.</param>
/// <param name="userId">The user who joined or left.</param>
public sealed class SignalingMemberEventArgs(string groupId, string userId) : EventArgs
{
    /// <summary>The group.</summary>
    public string GroupId { get; } = groupId;

    /// <summary>The user who joined or left.</summary>
    public string UserId { get; } = userId;
}
