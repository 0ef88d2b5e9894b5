namespace P2p.Signaling.Server.Sessions;

/// <summary>
/// A member whose connection dropped without a close handshake: it stays in its groups until
/// <see cref="SignalingServerOptions.ResumeGracePeriod"/> passes or a new connection resumes it.
/// </summary>
/// <param name="UserId">The member's user id.</param>
/// <param name="Groups">The groups it is a member of.</param>
internal sealed record DetachedSession(string UserId, IReadOnlyCollection<string> Groups)
{
    /// <summary>Fires when the grace period has passed; disposed when the session is resumed.</summary>
    public ITimer? Expiry { get; set; }
}
