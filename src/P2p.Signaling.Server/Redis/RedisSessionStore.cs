using P2p.Signaling.Server.Sessions;
using StackExchange.Redis;

namespace P2p.Signaling.Server.Redis;

/// <summary>
/// Detached sessions in Redis: a sorted set of user ids by the end of their grace period; the groups are the user's
/// group set the store keeps. Any instance can take a session over (a member resuming elsewhere after a drain), and
/// every instance ends the sessions whose grace period has passed (<see cref="PopExpiredAsync"/>), so a session
/// outlives the instance that detached it.
/// </summary>
internal sealed class RedisSessionStore(IDatabase db, RedisKeys keys, RedisGroupStore groups, TimeProvider time, TimeSpan gracePeriod) : ISessionStore
{
    private static readonly LuaScript PopExpired = LuaScript.Prepare("""
        local due = redis.call('ZRANGEBYSCORE', @sessions, '-inf', @now, 'LIMIT', 0, 100)
        for _, user in ipairs(due) do redis.call('ZREM', @sessions, user) end
        return due
        """);

    /// <inheritdoc />
    public async ValueTask DetachAsync(DetachedSession session) =>
        await db.SortedSetAddAsync(keys.Sessions, session.UserId, (time.GetUtcNow() + gracePeriod).ToUnixTimeMilliseconds()).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<DetachedSession?> TryTakeAsync(string userId)
    {
        if (!await db.SortedSetRemoveAsync(keys.Sessions, userId).ConfigureAwait(false))
        {
            return null;
        }

        return new DetachedSession(userId, await groups.GroupsOfAsync(userId).ConfigureAwait(false));
    }

    /// <summary>Removes and returns (up to 100) sessions whose grace period has passed; the caller ends them.</summary>
    public async Task<string[]> PopExpiredAsync()
    {
        var due = await db.ScriptEvaluateAsync(PopExpired, new { sessions = keys.Sessions, now = (RedisValue)time.GetUtcNow().ToUnixTimeMilliseconds() }).ConfigureAwait(false);
        return Array.ConvertAll((RedisValue[])due!, v => (string)v!);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
