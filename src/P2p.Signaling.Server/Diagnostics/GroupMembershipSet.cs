using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace P2p.Signaling.Server.Diagnostics;

/// <summary>
/// The groups one connection is a member of (a set of group ids, ordinal), reporting every change to
/// <c>p2p.signaling.group_memberships</c>: whichever request adds or removes a group (create, join, leave,
/// resume, disconnect), the instrument follows the set. Not thread-safe: touched by the connection's read loop only.
/// </summary>
internal sealed class GroupMembershipSet(SignalingMetrics metrics) : IReadOnlyCollection<string>
{
    private readonly HashSet<string> _groups = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public int Count => _groups.Count;

    /// <summary>Whether the connection is a member of <paramref name="groupId"/>.</summary>
    public bool Contains(string groupId) => _groups.Contains(groupId);

    /// <summary>Finds a group of this connection by an id not made a string yet, and returns its id string.</summary>
    public bool TryGet(ReadOnlySpan<char> groupId, [NotNullWhen(true)] out string? id) =>
        _groups.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(groupId, out id);

    /// <summary>Adds a membership; false when already there.</summary>
    public bool Add(string groupId)
    {
        if (!_groups.Add(groupId))
        {
            return false;
        }

        metrics.MembershipsChanged(1);
        return true;
    }

    /// <summary>Adds every group of <paramref name="groupIds"/> not already there.</summary>
    public void UnionWith(IEnumerable<string> groupIds)
    {
        var before = _groups.Count;
        _groups.UnionWith(groupIds);
        metrics.MembershipsChanged(_groups.Count - before);
    }

    /// <summary>Removes a membership; false when it was not there.</summary>
    public bool Remove(string groupId)
    {
        if (!_groups.Remove(groupId))
        {
            return false;
        }

        metrics.MembershipsChanged(-1);
        return true;
    }

    /// <summary>Removes every membership.</summary>
    public void Clear()
    {
        metrics.MembershipsChanged(-_groups.Count);
        _groups.Clear();
    }

    /// <summary>Enumerates without allocating (a <see cref="HashSet{T}"/> enumerator).</summary>
    public HashSet<string>.Enumerator GetEnumerator() => _groups.GetEnumerator();

    IEnumerator<string> IEnumerable<string>.GetEnumerator() => _groups.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _groups.GetEnumerator();
}
