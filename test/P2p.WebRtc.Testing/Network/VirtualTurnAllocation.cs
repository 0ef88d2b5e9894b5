using System.Net;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// One allocation's state on a <see cref="VirtualTurnServer"/> (RFC 8656 §5): its 5-tuple, relay socket, lifetime,
/// permissions (§9), channel bindings (§12) and the channel numbers and peers cooling down after a binding expired.
/// Times are on <see cref="VirtualNetwork.Now"/>'s scale; an entry is live while the time is before its expiry.
/// Not thread-safe: the server uses it under its lock.
/// </summary>
internal sealed class VirtualTurnAllocation
{
    private readonly Dictionary<IPAddress, TimeSpan> _permissions = [];
    private readonly Dictionary<ushort, (IPEndPoint Peer, TimeSpan ExpiresAt)> _channels = [];
    private readonly Dictionary<IPEndPoint, ushort> _channelOfPeer = [];
    private readonly Dictionary<ushort, (IPEndPoint Peer, TimeSpan Until)> _coolingNumbers = [];
    private readonly Dictionary<IPEndPoint, (ushort Number, TimeSpan Until)> _coolingPeers = [];

    public VirtualTurnAllocation(IPEndPoint client, VirtualSocket relay, string username, StunTransactionId allocateTransaction, TimeSpan channelCooldown)
    {
        ChannelCooldown = channelCooldown;
        Client = client;
        Relay = relay;
        Username = username;
        AllocateTransaction = allocateTransaction;
    }

    public IPEndPoint Client { get; }

    /// <summary>How long a channel number and a peer stay reserved to each other after their binding expired.</summary>
    public TimeSpan ChannelCooldown { get; }

    public VirtualSocket Relay { get; }

    public string Username { get; }

    /// <summary>The Allocate request's transaction: a retransmission of it gets <see cref="AllocateResponse"/> again (RFC 8656 §7.2).</summary>
    public StunTransactionId AllocateTransaction { get; }

    public byte[] AllocateResponse { get; set; } = [];

    public TimeSpan ExpiresAt { get; set; }

    public bool Deleted { get; set; }

    public long Refreshes { get; set; }

    public long PacketsToPeers { get; set; }

    public long PacketsFromPeers { get; set; }

    public long DroppedFromPeers { get; set; }

    public bool HasPermission(IPAddress peer, TimeSpan now) => _permissions.TryGetValue(peer, out var expiry) && now < expiry;

    public void InstallPermission(IPAddress peer, TimeSpan expiresAt) => _permissions[peer] = expiresAt;

    /// <summary>The peer bound to a live channel.</summary>
    public IPEndPoint? PeerOfChannel(ushort number, TimeSpan now) =>
        _channels.TryGetValue(number, out var c) && now < c.ExpiresAt ? c.Peer : null;

    /// <summary>The live channel bound to a peer, or 0.</summary>
    public ushort ChannelOfPeer(IPEndPoint peer, TimeSpan now) =>
        _channelOfPeer.TryGetValue(peer, out var number) && PeerOfChannel(number, now) is not null ? number : (ushort)0;

    /// <summary>
    /// Whether binding <paramref name="number"/> to <paramref name="peer"/> conflicts with a live binding, or with one that
    /// expired less than the cool-down ago (RFC 8656 §12: neither side may be rebound to something else meanwhile).
    /// </summary>
    public bool ConflictsWithBinding(ushort number, IPEndPoint peer, TimeSpan now)
    {
        Sweep(now);
        if (_channels.TryGetValue(number, out var bound) && !bound.Peer.Equals(peer))
        {
            return true;
        }

        if (_channelOfPeer.TryGetValue(peer, out var other) && other != number)
        {
            return true;
        }

        return (_coolingNumbers.TryGetValue(number, out var n) && !n.Peer.Equals(peer))
            || (_coolingPeers.TryGetValue(peer, out var p) && p.Number != number);
    }

    /// <summary>Binds or refreshes a channel (the caller checked <see cref="ConflictsWithBinding"/>).</summary>
    public void Bind(ushort number, IPEndPoint peer, TimeSpan expiresAt)
    {
        _channels[number] = (peer, expiresAt);
        _channelOfPeer[peer] = number;
        _coolingNumbers.Remove(number);
        _coolingPeers.Remove(peer);
    }

    /// <summary>Forgets expired permissions; moves expired channel bindings into their cool-down.</summary>
    public void Sweep(TimeSpan now)
    {
        foreach (var (peer, expiry) in _permissions)
        {
            if (now >= expiry)
            {
                _permissions.Remove(peer);
            }
        }

        foreach (var (number, binding) in _channels)
        {
            if (now >= binding.ExpiresAt)
            {
                _channels.Remove(number);
                _channelOfPeer.Remove(binding.Peer);
                var until = binding.ExpiresAt + ChannelCooldown;
                _coolingNumbers[number] = (binding.Peer, until);
                _coolingPeers[binding.Peer] = (number, until);
            }
        }

        foreach (var (number, c) in _coolingNumbers)
        {
            if (now >= c.Until)
            {
                _coolingNumbers.Remove(number);
            }
        }

        foreach (var (peer, c) in _coolingPeers)
        {
            if (now >= c.Until)
            {
                _coolingPeers.Remove(peer);
            }
        }
    }

    /// <summary>The earliest time something of this allocation expires (itself, a permission, a channel, a cool-down).</summary>
    public TimeSpan NextExpiry()
    {
        var next = ExpiresAt;
        foreach (var expiry in _permissions.Values)
        {
            next = expiry < next ? expiry : next;
        }

        foreach (var c in _channels.Values)
        {
            next = c.ExpiresAt < next ? c.ExpiresAt : next;
        }

        foreach (var c in _coolingNumbers.Values)
        {
            next = c.Until < next ? c.Until : next;
        }

        return next;
    }

    public VirtualTurnAllocationInfo Snapshot(TimeSpan now) => new(
        Client,
        Relay.LocalEndPoint,
        Username,
        ExpiresAt,
        [.. _permissions.Where(p => now < p.Value).OrderBy(p => p.Value).Select(p => new VirtualTurnPermissionInfo(p.Key, p.Value))],
        [.. _channels.Where(c => now < c.Value.ExpiresAt).OrderBy(c => c.Key).Select(c => new VirtualTurnChannelInfo(c.Key, c.Value.Peer, c.Value.ExpiresAt))],
        Refreshes,
        PacketsToPeers,
        PacketsFromPeers,
        DroppedFromPeers);
}
