using System.Diagnostics.CodeAnalysis;

namespace P2p.Signaling.Server.Routing;

/// <summary>
/// Finds the peer serving a user id: the routing seam. The in-memory directory knows this process's connections;
/// the Redis one also routes to users connected to other instances.
/// </summary>
internal interface IPeerDirectory
{
    /// <summary>Registers an initialised peer of this process; <see langword="false"/> if its id is taken here.</summary>
    /// <exception cref="StackExchange.Redis.RedisException">The backplane is unreachable (nothing is registered).</exception>
    ValueTask<bool> TryRegisterAsync(ISignalingPeer peer);

    /// <summary>Removes a peer (only if it is the one registered under its id). Never throws.</summary>
    ValueTask UnregisterAsync(ISignalingPeer peer);

    /// <summary>
    /// Finds where to deliver to a user: its connection in this process or, with a backplane, a stand-in that
    /// delivers through it (which tells a relay's sender <c>-32004</c> when nobody has the user).
    /// </summary>
    bool TryGet(string userId, [NotNullWhen(true)] out ISignalingPeer? peer);

    /// <summary>Finds a user's connection in this process.</summary>
    bool TryGetLocal(string userId, [NotNullWhen(true)] out ISignalingPeer? peer);

    /// <summary>As <see cref="TryGetLocal(string, out ISignalingPeer?)"/> for an id not made a string yet (the peer's <see cref="ISignalingPeer.UserId"/> is then the string).</summary>
    bool TryGetLocal(ReadOnlySpan<char> userId, [NotNullWhen(true)] out ISignalingPeer? peer);
}
