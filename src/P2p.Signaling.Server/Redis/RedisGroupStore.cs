using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Groups;
using StackExchange.Redis;

namespace P2p.Signaling.Server.Redis;

/// <summary>
/// Groups in Redis, shared by every instance of the signaling server that uses the same Redis and prefix
/// (see <see cref="RedisKeys"/>). Each membership change is one atomic script; a relay check is one round trip.
/// It also keeps each user's set of groups, which an instance sweeping a failed instance's members reads.
/// </summary>
/// <remarks>Redis being unreachable surfaces as <see cref="RedisException"/>, which the server answers with <c>-32043</c>.</remarks>
internal sealed class RedisGroupStore : IGroupStore
{
    private readonly IDatabase _db;
    private readonly RedisKeys _keys;
    private readonly int _maxMembers;

    public RedisGroupStore(IDatabase db, RedisKeys keys, int maxMembersPerGroup)
    {
        _db = db;
        _keys = keys;
        _maxMembers = maxMembersPerGroup;
    }

    /// <inheritdoc />
    public async ValueTask<string> CreateAsync(string ownerId, int capability, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        var groupId = Groups.InMemoryGroupStore.NewId();
        await _db.ScriptEvaluateAsync(RedisGroupScripts.Create, new
        {
            group = _keys.Group(groupId),
            members = _keys.Members(groupId),
            userGroups = _keys.UserGroups(ownerId),
            owner = (RedisValue)ownerId,
            cap = (RedisValue)capability,
            groupId = (RedisValue)groupId,
        }).ConfigureAwait(false);
        return groupId;
    }

    /// <inheritdoc />
    public ValueTask<GroupMembershipChange> JoinAsync(string groupId, string userId, CancellationToken cancellationToken) =>
        JoinCoreAsync(groupId, userId, restore: false, userId, 0);

    /// <inheritdoc />
    public ValueTask<GroupMembershipChange> RestoreAsync(string groupId, string ownerId, int capability, string userId, CancellationToken cancellationToken) =>
        JoinCoreAsync(groupId, userId, restore: true, ownerId, capability);

    /// <inheritdoc />
    public async ValueTask<GroupMembershipChange> LeaveAsync(string groupId, string userId, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(RedisGroupScripts.Leave, new
        {
            group = _keys.Group(groupId),
            members = _keys.Members(groupId),
            userGroups = _keys.UserGroups(userId),
            user = (RedisValue)userId,
            groupId = (RedisValue)groupId,
        }).ConfigureAwait(false))!;
        return (long)result[0] switch
        {
            RedisGroupScripts.NotFound => GroupMembershipChange.Of(GroupOperationStatus.GroupNotFound),
            RedisGroupScripts.NotMember => GroupMembershipChange.Of(GroupOperationStatus.NotMember),
            RedisGroupScripts.Removed => new GroupMembershipChange(GroupOperationStatus.Done, [], GroupRemoved: true),
            _ => new GroupMembershipChange(GroupOperationStatus.Done, ToStrings(result[1])),
        };
    }

    /// <inheritdoc />
    public async ValueTask<GroupInfo?> GetAsync(string groupId, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(RedisGroupScripts.Get, new
        {
            group = _keys.Group(groupId),
            members = _keys.Members(groupId),
        }).ConfigureAwait(false))!;
        if (result.Length == 0)
        {
            return null;
        }

        return new GroupInfo(groupId, (string)result[0]!, (int)result[1], ToStrings(result[2]));
    }

    /// <inheritdoc />
    public async ValueTask<RelayRouteStatus> CheckRelayAsync(string groupId, string fromUserId, string toUserId, CancellationToken cancellationToken)
    {
        var scores = await _db.SortedSetScoresAsync(_keys.Members(groupId), [fromUserId, toUserId]).ConfigureAwait(false);
        if (scores[0] is null)
        {
            return await _db.KeyExistsAsync(_keys.Group(groupId)).ConfigureAwait(false) ? RelayRouteStatus.SenderNotMember : RelayRouteStatus.GroupNotFound;
        }

        return scores[1] is null ? RelayRouteStatus.TargetNotMember : RelayRouteStatus.Allowed;
    }

    /// <summary>The groups a user is a member of (for sweeping a failed instance's users and expired sessions).</summary>
    public async Task<string[]> GroupsOfAsync(string userId)
    {
        var groups = await _db.SetMembersAsync(_keys.UserGroups(userId)).ConfigureAwait(false);
        return Array.ConvertAll(groups, g => (string)g!);
    }

    private async ValueTask<GroupMembershipChange> JoinCoreAsync(string groupId, string userId, bool restore, string ownerId, int capability)
    {
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(RedisGroupScripts.Join, new
        {
            group = _keys.Group(groupId),
            members = _keys.Members(groupId),
            userGroups = _keys.UserGroups(userId),
            user = (RedisValue)userId,
            groupId = (RedisValue)groupId,
            owner = (RedisValue)ownerId,
            cap = (RedisValue)capability,
            max = (RedisValue)_maxMembers,
            restore = (RedisValue)(restore ? "1" : "0"),
        }).ConfigureAwait(false))!;
        return (long)result[0] switch
        {
            RedisGroupScripts.NotFound => GroupMembershipChange.Of(GroupOperationStatus.GroupNotFound),
            RedisGroupScripts.Unchanged => GroupMembershipChange.Of(GroupOperationStatus.Unchanged),
            RedisGroupScripts.Full => GroupMembershipChange.Of(GroupOperationStatus.GroupFull),
            RedisGroupScripts.Recreated => new GroupMembershipChange(GroupOperationStatus.Done, []),
            _ => new GroupMembershipChange(GroupOperationStatus.Done, ToStrings(result[1])),
        };
    }

    private static string[] ToStrings(RedisResult result) => Array.ConvertAll((RedisValue[])result!, v => (string)v!);
}
