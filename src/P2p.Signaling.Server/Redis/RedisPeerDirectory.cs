using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using P2p.Signaling.Server.Routing;
using StackExchange.Redis;

namespace P2p.Signaling.Server.Redis;

/// <summary>
/// This instance's connections, each registered in Redis (its location and its channel, subscribed here), and
/// stand-ins (<see cref="RemotePeer"/>) for every other user, reached through the backplane.
/// </summary>
internal sealed class RedisPeerDirectory(RedisBackplane backplane) : IPeerDirectory
{
    private readonly ConcurrentDictionary<string, (ISignalingPeer Peer, ChannelMessageQueue? Queue)> _local = new(StringComparer.Ordinal);

    /// <summary>The users connected here.</summary>
    public ICollection<string> LocalUsers => _local.Keys;

    /// <inheritdoc />
    public async ValueTask<bool> TryRegisterAsync(ISignalingPeer peer)
    {
        if (!_local.TryAdd(peer.UserId, (peer, null)))
        {
            return false;
        }

        try
        {
            // Subscribed before the caller learns its id, so nothing sent to it can be missed.
            var queue = await backplane.SubscribeUserAsync(peer.UserId).ConfigureAwait(false);
            _local[peer.UserId] = (peer, queue);
            await backplane.SetLocationAsync(peer.UserId).ConfigureAwait(false);
            return true;
        }
        catch
        {
            if (_local.TryRemove(peer.UserId, out var entry) && entry.Queue is { } queue)
            {
                await RedisBackplane.UnsubscribeAsync(queue).ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask UnregisterAsync(ISignalingPeer peer)
    {
        if (!_local.TryGetValue(peer.UserId, out var entry) || entry.Peer != peer
            || !_local.TryRemove(new KeyValuePair<string, (ISignalingPeer, ChannelMessageQueue?)>(peer.UserId, entry)))
        {
            return;
        }

        if (entry.Queue is { } queue)
        {
            await RedisBackplane.UnsubscribeAsync(queue).ConfigureAwait(false);
        }

        await backplane.ClearLocationAsync(peer.UserId).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public bool TryGet(string userId, [NotNullWhen(true)] out ISignalingPeer? peer)
    {
        peer = _local.TryGetValue(userId, out var entry) ? entry.Peer : new RemotePeer(backplane, userId);
        return true;
    }

    /// <inheritdoc />
    public bool TryGetLocal(string userId, [NotNullWhen(true)] out ISignalingPeer? peer)
    {
        peer = _local.TryGetValue(userId, out var entry) ? entry.Peer : null;
        return peer is not null;
    }

    /// <inheritdoc />
    public bool TryGetLocal(ReadOnlySpan<char> userId, [NotNullWhen(true)] out ISignalingPeer? peer)
    {
        peer = _local.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(userId, out var entry) ? entry.Peer : null;
        return peer is not null;
    }
}
