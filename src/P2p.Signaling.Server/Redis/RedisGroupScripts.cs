using StackExchange.Redis;

namespace P2p.Signaling.Server.Redis;

/// <summary>
/// The group operations as Lua scripts, so each is atomic in Redis (two instances joining the same group at once
/// see one order). Keys and arguments are documented per script; results are arrays whose first element is a status.
/// </summary>
internal static class RedisGroupScripts
{
    /// <summary>Status codes the scripts return.</summary>
    public const long Done = 1, Unchanged = 0, NotFound = -1, Full = -2, NotMember = -3, Recreated = 3, Removed = 2;

    /// <summary>KEYS: group, members, user's groups. ARGV: owner, capability, group id. Returns 1.</summary>
    public static readonly LuaScript Create = LuaScript.Prepare("""
        redis.call('HSET', @group, 'owner', @owner, 'cap', @cap, 'seq', 1)
        redis.call('ZADD', @members, 1, @owner)
        redis.call('SADD', @userGroups, @groupId)
        return 1
        """);

    /// <summary>
    /// Joins, or (restore) re-creates the group when it does not exist. Returns {status, members before the join}.
    /// </summary>
    public static readonly LuaScript Join = LuaScript.Prepare("""
        if redis.call('EXISTS', @group) == 0 then
          if @restore == '1' then
            redis.call('HSET', @group, 'owner', @owner, 'cap', @cap, 'seq', 1)
            redis.call('ZADD', @members, 1, @user)
            redis.call('SADD', @userGroups, @groupId)
            return {3, {}}
          end
          return {-1, {}}
        end
        if redis.call('ZSCORE', @members, @user) then return {0, {}} end
        if redis.call('ZCARD', @members) >= tonumber(@max) then return {-2, {}} end
        local others = redis.call('ZRANGE', @members, 0, -1)
        local seq = redis.call('HINCRBY', @group, 'seq', 1)
        redis.call('ZADD', @members, seq, @user)
        redis.call('SADD', @userGroups, @groupId)
        return {1, others}
        """);

    /// <summary>Leaves; removes the group with its last member. Returns {status, remaining members}.</summary>
    public static readonly LuaScript Leave = LuaScript.Prepare("""
        redis.call('SREM', @userGroups, @groupId)
        if redis.call('EXISTS', @group) == 0 then return {-1, {}} end
        if redis.call('ZREM', @members, @user) == 0 then return {-3, {}} end
        local rest = redis.call('ZRANGE', @members, 0, -1)
        if #rest == 0 then
          redis.call('DEL', @group, @members)
          return {2, rest}
        end
        return {1, rest}
        """);

    /// <summary>
    /// A relay to a user on another instance in one round trip: checks both memberships and publishes the relay to the
    /// target's channel. Returns how many instances received it (0: the target is connected nowhere), or -1 (no such
    /// group), -2 (the sender is not a member), -3 (the target is not a member).
    /// </summary>
    public static readonly LuaScript Relay = LuaScript.Prepare("""
        local scores = redis.call('ZMSCORE', @members, @from, @to)
        if not scores[1] then
          if redis.call('EXISTS', @group) == 0 then return -1 end
          return -2
        end
        if not scores[2] then return -3 end
        return redis.call('PUBLISH', @channel, @message)
        """);

    /// <summary>Returns {owner, capability, members} or an empty array when there is no such group.</summary>
    public static readonly LuaScript Get = LuaScript.Prepare("""
        local info = redis.call('HMGET', @group, 'owner', 'cap')
        if not info[1] then return {} end
        return {info[1], info[2], redis.call('ZRANGE', @members, 0, -1)}
        """);
}
