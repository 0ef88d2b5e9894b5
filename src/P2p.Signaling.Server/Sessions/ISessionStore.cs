namespace P2p.Signaling.Server.Sessions;

/// <summary>
/// Where detached sessions (<see cref="DetachedSession"/>) wait for their grace period: this process's memory, or Redis
/// (so a member can resume on another instance). Whoever takes a session first owns it; a session nobody takes
/// ends when its grace period passes (its member then leaves its groups).
/// </summary>
internal interface ISessionStore : IDisposable
{
    /// <summary>Keeps a session for the grace period.</summary>
    /// <exception cref="StackExchange.Redis.RedisException">The backplane is unreachable.</exception>
    ValueTask DetachAsync(DetachedSession session);

    /// <summary>Takes a detached session over (it is no longer detached and will not expire); null when there is none.</summary>
    /// <exception cref="StackExchange.Redis.RedisException">The backplane is unreachable.</exception>
    ValueTask<DetachedSession?> TryTakeAsync(string userId);
}
