namespace P2p.Core;

/// <summary>Conveniences over <see cref="IGroup"/>.</summary>
public static class GroupExtensions
{
    /// <summary>Sends a request to <paramref name="member"/> and returns its reply (see <see cref="IGroup.UnicastAsync"/>).</summary>
    /// <param name="group">The group.</param>
    /// <param name="member">The receiving member.</param>
    /// <param name="data">The request.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public static Task<ReadOnlyMemory<byte>> UnicastAsync(this IGroup group, IPeer member, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(member);
        return group.UnicastAsync(member.Id, data, cancellationToken);
    }
}
