using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using P2p.Signaling.Abstractions;

namespace P2p.Signaling.Server.Groups;

/// <summary>
/// Groups in this process's memory: a concurrent map of groups, each guarded by its own lock, so
/// operations on different groups never contend. Every operation completes synchronously.
/// </summary>
public sealed class InMemoryGroupStore : IGroupStore
{
    private readonly ConcurrentDictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly int _maxMembersPerGroup;

    /// <summary>A store whose groups hold at most 256 members (the default of <see cref="SignalingServerOptions.MaxMembersPerGroup"/>).</summary>
    public InMemoryGroupStore()
        : this(new SignalingServerOptions().MaxMembersPerGroup)
    {
    }

    /// <summary>A store whose groups hold at most <see cref="SignalingServerOptions.MaxMembersPerGroup"/> members (the constructor dependency injection uses).</summary>
    /// <param name="options">The server's options.</param>
    public InMemoryGroupStore(IOptions<SignalingServerOptions> options)
        : this(options?.Value.MaxMembersPerGroup ?? throw new ArgumentNullException(nameof(options)))
    {
    }

    /// <summary>A store whose groups hold at most <paramref name="maxMembersPerGroup"/> members.</summary>
    /// <param name="maxMembersPerGroup">The limit; a join beyond it is <see cref="GroupOperationStatus.GroupFull"/>.</param>
    public InMemoryGroupStore(int maxMembersPerGroup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMembersPerGroup, 1);
        _maxMembersPerGroup = maxMembersPerGroup;
    }

    /// <summary>How many members one group may have.</summary>
    public int MaxMembersPerGroup => _maxMembersPerGroup;

    /// <summary>How many groups exist.</summary>
    public int Count => _groups.Count;

    /// <inheritdoc />
    public ValueTask<string> CreateAsync(string ownerId, int capability, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        while (true)
        {
            var group = new Group(NewId(), ownerId, capability);
            if (_groups.TryAdd(group.Id, group))
            {
                return ValueTask.FromResult(group.Id);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<GroupMembershipChange> JoinAsync(string groupId, string userId, CancellationToken cancellationToken)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return ValueTask.FromResult(GroupMembershipChange.Of(GroupOperationStatus.GroupNotFound));
        }

        lock (group.Gate)
        {
            if (group.Removed)
            {
                return ValueTask.FromResult(GroupMembershipChange.Of(GroupOperationStatus.GroupNotFound));
            }

            if (group.MemberSet.Contains(userId))
            {
                return ValueTask.FromResult(GroupMembershipChange.Of(GroupOperationStatus.Unchanged));
            }

            // Checked and added under the group's lock: concurrent joins never overshoot the limit.
            if (group.Members.Count >= _maxMembersPerGroup)
            {
                return ValueTask.FromResult(GroupMembershipChange.Of(GroupOperationStatus.GroupFull));
            }

            group.MemberSet.Add(userId);
            var others = group.Members.ToArray();
            group.Members.Add(userId);
            return ValueTask.FromResult(new GroupMembershipChange(GroupOperationStatus.Done, others));
        }
    }

    /// <inheritdoc />
    public async ValueTask<GroupMembershipChange> RestoreAsync(string groupId, string ownerId, int capability, string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(userId);
        while (true)
        {
            var change = await JoinAsync(groupId, userId, cancellationToken).ConfigureAwait(false);
            if (change.Status != GroupOperationStatus.GroupNotFound)
            {
                return change;
            }

            if (_groups.TryAdd(groupId, new Group(groupId, ownerId, capability, userId)))
            {
                return new GroupMembershipChange(GroupOperationStatus.Done, []);
            }

            // Re-created (or still being removed) concurrently: join that one.
            if (_groups.TryGetValue(groupId, out var existing) && existing.Removed)
            {
                _groups.TryRemove(new KeyValuePair<string, Group>(groupId, existing));
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<GroupMembershipChange> LeaveAsync(string groupId, string userId, CancellationToken cancellationToken)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return ValueTask.FromResult(GroupMembershipChange.Of(GroupOperationStatus.GroupNotFound));
        }

        string[] others;
        lock (group.Gate)
        {
            if (group.Removed)
            {
                return ValueTask.FromResult(GroupMembershipChange.Of(GroupOperationStatus.GroupNotFound));
            }

            if (!group.MemberSet.Remove(userId))
            {
                return ValueTask.FromResult(GroupMembershipChange.Of(GroupOperationStatus.NotMember));
            }

            group.Members.Remove(userId);
            others = group.Members.ToArray();
            if (others.Length == 0)
            {
                // Marked under the lock, so a concurrent join sees "not found" instead of joining a dead group.
                group.Removed = true;
            }
        }

        if (others.Length == 0)
        {
            _groups.TryRemove(new KeyValuePair<string, Group>(groupId, group));
            return ValueTask.FromResult(new GroupMembershipChange(GroupOperationStatus.Done, others, GroupRemoved: true));
        }

        return ValueTask.FromResult(new GroupMembershipChange(GroupOperationStatus.Done, others));
    }

    /// <inheritdoc />
    public ValueTask<GroupInfo?> GetAsync(string groupId, CancellationToken cancellationToken)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return ValueTask.FromResult<GroupInfo?>(null);
        }

        lock (group.Gate)
        {
            return ValueTask.FromResult(group.Removed ? null : new GroupInfo(group.Id, group.Owner, group.Capability, group.Members.ToArray()));
        }
    }

    /// <inheritdoc />
    public ValueTask<RelayRouteStatus> CheckRelayAsync(string groupId, string fromUserId, string toUserId, CancellationToken cancellationToken)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return ValueTask.FromResult(RelayRouteStatus.GroupNotFound);
        }

        lock (group.Gate)
        {
            var status = group.Removed ? RelayRouteStatus.GroupNotFound
                : !group.MemberSet.Contains(fromUserId) ? RelayRouteStatus.SenderNotMember
                : !group.MemberSet.Contains(toUserId) ? RelayRouteStatus.TargetNotMember
                : RelayRouteStatus.Allowed;
            return ValueTask.FromResult(status);
        }
    }

    /// <summary>A new id: 128 random bits as 32 lowercase hexadecimal characters.</summary>
    internal static string NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    private sealed class Group(string id, string owner, int capability, string firstMember)
    {
        public Group(string id, string owner, int capability)
            : this(id, owner, capability, owner)
        {
        }

        public readonly Lock Gate = new();
        public readonly List<string> Members = [firstMember];
        public readonly HashSet<string> MemberSet = new(StringComparer.Ordinal) { firstMember };
        public bool Removed;

        public string Id { get; } = id;

        public string Owner { get; } = owner;

        public int Capability { get; } = capability;
    }
}
