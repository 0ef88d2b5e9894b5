using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace P2p.Signaling.Server.Routing;

/// <summary>The peers connected to this process.</summary>
internal sealed class InMemoryPeerDirectory : IPeerDirectory
{
    private readonly ConcurrentDictionary<string, ISignalingPeer> _peers = new(StringComparer.Ordinal);

    public int Count => _peers.Count;

    public ValueTask<bool> TryRegisterAsync(ISignalingPeer peer) => ValueTask.FromResult(TryRegister(peer));

    public bool TryRegister(ISignalingPeer peer) => _peers.TryAdd(peer.UserId, peer);

    public ValueTask UnregisterAsync(ISignalingPeer peer)
    {
        Unregister(peer);
        return default;
    }

    public bool Unregister(ISignalingPeer peer) => _peers.TryRemove(new KeyValuePair<string, ISignalingPeer>(peer.UserId, peer));

    public bool TryGet(string userId, [NotNullWhen(true)] out ISignalingPeer? peer) => _peers.TryGetValue(userId, out peer);

    public bool TryGetLocal(string userId, [NotNullWhen(true)] out ISignalingPeer? peer) => _peers.TryGetValue(userId, out peer);

    public bool TryGetLocal(ReadOnlySpan<char> userId, [NotNullWhen(true)] out ISignalingPeer? peer) =>
        _peers.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(userId, out peer);
}
