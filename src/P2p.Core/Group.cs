using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Core;

/// <summary>
/// The entry point for applications that want just one group: a <see cref="P2pService"/> is created behind
/// the returned group and disposed with it (leaving the group, or disposing it, closes the signaling channel).
/// </summary>
/// <example>
/// <code>
/// await using var group = await Group.JoinAsync(signaling, transport, groupId, new GroupOptions
/// {
///     MessageHandler = (from, data, ct) => { Console.WriteLine($"{from.Id}: {Encoding.UTF8.GetString(data.Span)}"); return ValueTask.CompletedTask; },
///     RequestHandler = (from, data, ct) => ValueTask.FromResult(data), // echo
/// });
/// await group.BroadcastAsync("hello"u8.ToArray());
/// </code>
/// </example>
public static class Group
{
    /// <summary>Joins an existing group over its own <see cref="P2pService"/>.</summary>
    /// <param name="signaling">A connected signaling channel; owned by the group from now on.</param>
    /// <param name="transport">Creates the peer connections.</param>
    /// <param name="groupId">The group's id.</param>
    /// <param name="groupOptions">Handlers and limits.</param>
    /// <param name="options">Service settings (logging, timeouts, retries).</param>
    /// <param name="cancellationToken">Cancels the join.</param>
    public static Task<IGroup> JoinAsync(
        ISignalingChannel signaling,
        IPeerConnectionFactory transport,
        string groupId,
        GroupOptions? groupOptions = null,
        P2pOptions? options = null,
        CancellationToken cancellationToken = default) =>
        WithOwnServiceAsync(signaling, transport, options, s => s.JoinGroupAsync(groupId, groupOptions, cancellationToken));

    /// <summary>Creates a group over its own <see cref="P2pService"/>; this member is its owner.</summary>
    /// <param name="signaling">A connected signaling channel; owned by the group from now on.</param>
    /// <param name="transport">Creates the peer connections.</param>
    /// <param name="capability">What members may send.</param>
    /// <param name="groupOptions">Handlers and limits.</param>
    /// <param name="options">Service settings (logging, timeouts, retries).</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    public static Task<IGroup> CreateAsync(
        ISignalingChannel signaling,
        IPeerConnectionFactory transport,
        GroupCapability capability,
        GroupOptions? groupOptions = null,
        P2pOptions? options = null,
        CancellationToken cancellationToken = default) =>
        WithOwnServiceAsync(signaling, transport, options, s => s.CreateGroupAsync(capability, groupOptions, cancellationToken));

    private static async Task<IGroup> WithOwnServiceAsync(ISignalingChannel signaling, IPeerConnectionFactory transport, P2pOptions? options, Func<P2pService, Task<IGroup>> open)
    {
        var service = new P2pService(signaling, transport, options);
        try
        {
            var group = await open(service).ConfigureAwait(false);
            service.DisposeWithGroup = true;
            return group;
        }
        catch
        {
            await service.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
