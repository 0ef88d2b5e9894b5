using StackExchange.Redis;

namespace P2p.Signaling.Server.Redis;

/// <summary>Scripts that move a user's location (<c>{p}:u:{user}:at</c>) between instances atomically.</summary>
internal static class RedisLocationScripts
{
    /// <summary>Clears the location if it is still this instance's; removes the user from the instance's set.</summary>
    public static readonly LuaScript Clear = LuaScript.Prepare("""
        if redis.call('GET', @at) == @me then redis.call('DEL', @at) end
        redis.call('SREM', @users, @user)
        return 1
        """);

    /// <summary>After a reconnect: claims the location again unless another instance took the user or a sweep removed it (1 = still ours).</summary>
    public static readonly LuaScript Reassert = LuaScript.Prepare("""
        local at = redis.call('GET', @at)
        if at and at ~= @me then return 0 end
        redis.call('SET', @at, @me)
        redis.call('SADD', @users, @user)
        return 1
        """);

    /// <summary>Moves a user from a failed instance to this one if it is still there (1 = moved).</summary>
    public static readonly LuaScript Adopt = LuaScript.Prepare("""
        if redis.call('GET', @at) ~= @dead then return 0 end
        redis.call('SET', @at, @me)
        redis.call('SREM', @deadUsers, @user)
        redis.call('SADD', @users, @user)
        return 1
        """);

    /// <summary>A failed instance's user: leaves a tombstone for the grace period if it is still there (1 = the caller removes it from its groups).</summary>
    public static readonly LuaScript Sweep = LuaScript.Prepare("""
        if redis.call('GET', @at) ~= @dead then return 0 end
        redis.call('SET', @at, '-', 'PX', @grace)
        return 1
        """);
}
