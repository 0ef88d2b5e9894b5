using StackExchange.Redis;

namespace P2p.Signaling.Server.Redis;

/// <summary>
/// The names of everything the signaling server keeps in Redis, under one prefix (<see cref="SignalingServerOptions.RedisPrefix"/>):
/// <list type="bullet">
/// <item><description><c>{p}:g:{group}</c> hash (owner, cap, seq) and <c>{p}:g:{group}:m</c> sorted set of members by join order;</description></item>
/// <item><description><c>{p}:u:{user}:g</c> set of the user's groups, <c>{p}:u:{user}:at</c> the instance the user is connected to;</description></item>
/// <item><description><c>{p}:i</c> set of instances, <c>{p}:i:{instance}:hb</c> heartbeat (expires), <c>{p}:i:{instance}:u</c> its users;</description></item>
/// <item><description><c>{p}:s</c> sorted set of detached sessions by expiry (Unix ms);</description></item>
/// <item><description>channels <c>{p}:c:u:{user}</c> (relays and notifications to a user, subscribed by its instance) and <c>{p}:c:i:{instance}</c> (relay answers).</description></item>
/// </list>
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public RedisKey Group(string groupId) => $"{prefix}:g:{groupId}";

    public RedisKey Members(string groupId) => $"{prefix}:g:{groupId}:m";

    public RedisKey UserGroups(string userId) => $"{prefix}:u:{userId}:g";

    public RedisKey UserLocation(string userId) => $"{prefix}:u:{userId}:at";

    public RedisKey Instances => $"{prefix}:i";

    public RedisKey Heartbeat(string instanceId) => $"{prefix}:i:{instanceId}:hb";

    public RedisKey InstanceUsers(string instanceId) => $"{prefix}:i:{instanceId}:u";

    public RedisKey Sessions => $"{prefix}:s";

    public RedisChannel UserChannel(string userId) => RedisChannel.Literal(UserChannelName(userId));

    public string UserChannelName(string userId) => $"{prefix}:c:u:{userId}";

    public RedisChannel InstanceChannel(string instanceId) => RedisChannel.Literal($"{prefix}:c:i:{instanceId}");
}
