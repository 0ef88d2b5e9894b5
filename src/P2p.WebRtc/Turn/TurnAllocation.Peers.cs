using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Net;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Turn;

/// <summary>The data path: permissions, channels, Send/Data indications and ChannelData (RFC 8656 §9–§12), and refreshes.</summary>
internal sealed partial class TurnAllocation
{
    /// <summary>The first and last channel numbers a client may use (RFC 8656 §12).</summary>
    private const ushort FirstChannel = 0x4000;
    private const ushort LastChannel = 0x4FFF;

    /// <summary>Peers one allocation serves at most (ICE pairs a relayed candidate with at most a few dozen remote ones).</summary>
    private const int MaxPeers = 256;

    private readonly Dictionary<EndpointKey, TurnPeer> _peers = [];
    private readonly Dictionary<ushort, TurnPeer> _channels = [];
    private readonly Dictionary<IPAddress, TurnPermission> _permissions = [];
    private TimeSpan _allocationRefreshAt = TimeSpan.MaxValue;
    private TimeSpan _allocationExpiresAt = TimeSpan.MaxValue;
    private ushort _nextChannel = FirstChannel;
    private long _sent;
    private long _received;
    private long _dropped;

    /// <summary>Successful refreshes of the allocation (for tests).</summary>
    public int RefreshCount { get; private set; }

    private long _viaChannel;

    /// <summary>
    /// Datagrams sent to peers (of which as ChannelData rather than Send indications), received from peers, and
    /// dropped (no permission yet, unknown channel, lost allocation).
    /// </summary>
    public (long Sent, long ViaChannel, long Received, long Dropped) Counters =>
        (Interlocked.Read(ref _sent), Interlocked.Read(ref _viaChannel), Interlocked.Read(ref _received), Interlocked.Read(ref _dropped));

    private readonly TaskCompletionSource _firstChannel = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the first channel is bound (for tests).</summary>
    public Task FirstChannelBound => _firstChannel.Task;

    /// <summary>The peers with a bound channel (for tests).</summary>
    public int BoundChannels
    {
        get
        {
            lock (_sync)
            {
                return _channels.Values.Count(p => p.ChannelBound);
            }
        }
    }

    /// <summary>The installed permissions (for tests).</summary>
    public int InstalledPermissions
    {
        get
        {
            lock (_sync)
            {
                return _permissions.Values.Count(p => p.Installed);
            }
        }
    }

    /// <summary>
    /// Sends a datagram to a peer through the server: ChannelData once the peer's channel is bound, a Send indication
    /// before. The first datagram to a peer asks for its permission and then its channel.
    /// </summary>
    /// <returns>False when it could not be sent (allocation lost, link down, too many peers).</returns>
    public bool Send(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        TurnPeer? peer;
        ushort channel;
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_lost || _relayed is null)
            {
                Interlocked.Increment(ref _dropped);
                return false;
            }

            var key = EndpointKey.From(remote);
            if (!TryGetOrAddPeer(key, out peer))
            {
                Interlocked.Increment(ref _dropped);
                return false;
            }

            EnsurePermission(peer);
            channel = peer.ChannelBound ? peer.Channel : (ushort)0;
        }

        var sent = channel != 0 ? SendChannelData(channel, datagram) : SendIndication(peer, datagram);
        Interlocked.Increment(ref sent ? ref _sent : ref _dropped);
        if (sent && channel != 0)
        {
            Interlocked.Increment(ref _viaChannel);
        }
        return sent;
    }

    /// <summary>
    /// Asks for a permission (and then a channel) for a peer before anything is sent to it, so that the peer's own first
    /// datagrams (ICE checks toward this relayed address) are not dropped by the server for want of one (RFC 8656 §9).
    /// </summary>
    /// <param name="peer">The peer's address.</param>
    public void PreparePeer(IPEndPoint peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_sync)
        {
            if (_disposed || _lost || _relayed is null || peer.AddressFamily != _relayed.AddressFamily)
            {
                return;
            }

            if (TryGetOrAddPeer(EndpointKey.From(peer), out var known))
            {
                EnsurePermission(known);
            }
        }
    }

    /// <summary>Under the lock: the peer at <paramref name="key"/>, added when new unless <see cref="MaxPeers"/> are known already.</summary>
    private bool TryGetOrAddPeer(EndpointKey key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TurnPeer? peer)
    {
        if (_peers.TryGetValue(key, out peer))
        {
            return true;
        }

        if (_peers.Count >= MaxPeers || !key.IsValid)
        {
            return false;
        }

        peer = new TurnPeer(key.ToIPEndPoint());
        _peers[key] = peer;
        return true;
    }

    /// <summary>Under the lock: the permission for the peer's address, then its channel, are requested when missing.</summary>
    private void EnsurePermission(TurnPeer peer)
    {
        if (!_permissions.TryGetValue(peer.EndPoint.Address, out var permission))
        {
            permission = new TurnPermission(peer.EndPoint.Address) { Pending = true };
            _permissions[permission.Address] = permission;
            SendRequest(TurnRequestKind.CreatePermission, permission: permission);
        }

        if (permission.Installed && peer.Channel == 0 && _nextChannel <= LastChannel)
        {
            peer.Channel = _nextChannel++;
            peer.ChannelPending = true;
            _channels[peer.Channel] = peer;
            SendRequest(TurnRequestKind.ChannelBind, peer);
        }
    }

    private bool SendChannelData(ushort channel, ReadOnlySpan<byte> datagram)
    {
        var length = 4 + datagram.Length;
        byte[]? rented = null;
        var buffer = length <= 2048 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer, channel);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)datagram.Length);
            datagram.CopyTo(buffer[4..]);
            return _link.Send(buffer);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private bool SendIndication(TurnPeer peer, ReadOnlySpan<byte> datagram)
    {
        var length = 20 + 24 + 4 + ((datagram.Length + 3) & ~3) + 8;
        byte[]? rented = null;
        var buffer = length <= 2048 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            var w = new StunMessageWriter(buffer, StunMethod.Send, StunMessageClass.Indication, StunTransactionId.NewRandom());
            w.AddXorAddress(peer.EndPoint, StunAttributeType.XorPeerAddress);
            w.AddAttribute(StunAttributeType.Data, datagram);
            w.AddFingerprint();
            return _link.Send(w.Written);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>On the link's receive path: ChannelData or a Data indication goes to the handler; responses to <see cref="OnResponse"/>.</summary>
    private void OnServerMessage(ReadOnlySpan<byte> message)
    {
        if (message.Length >= 4 && message[0] >> 6 == 1)
        {
            var channel = BinaryPrimitives.ReadUInt16BigEndian(message);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
            TurnPeer? peer;
            lock (_sync)
            {
                _channels.TryGetValue(channel, out peer);
            }

            if (peer is null || length > message.Length - 4)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }

            Deliver(message.Slice(4, length), peer.SocketAddress);
            return;
        }

        if (StunMessage.TryParse(message, out var msg) != StunParseResult.Success)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        switch (msg.Class)
        {
            case StunMessageClass.Indication when msg.Method == StunMethod.Data:
                if (!msg.TryGetXorAddress(StunAttributeType.XorPeerAddress, out var from) || from is null || !msg.TryGetAttribute(StunAttributeType.Data, out var data))
                {
                    Interlocked.Increment(ref _dropped);
                    return;
                }

                SocketAddress address;
                lock (_sync)
                {
                    address = _peers.TryGetValue(EndpointKey.From(from), out var known) ? known.SocketAddress : from.Serialize();
                }

                Deliver(data, address);
                break;
            case StunMessageClass.SuccessResponse or StunMessageClass.ErrorResponse:
                OnResponse(msg);
                break;
            default:
                Interlocked.Increment(ref _dropped);
                break;
        }
    }

    private void Deliver(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        var handler = _handler;
        if (handler is null || _disposed)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        Interlocked.Increment(ref _received);
        handler(datagram, from);
    }

    /// <summary>Under the lock: the earliest refresh due.</summary>
    private TimeSpan NextRefresh()
    {
        var next = _relayed is null ? TimeSpan.MaxValue : _allocationRefreshAt;
        foreach (var p in _permissions.Values)
        {
            next = Min(next, p.Pending ? TimeSpan.MaxValue : p.RefreshAt);
        }

        foreach (var c in _channels.Values)
        {
            next = Min(next, c.ChannelPending ? TimeSpan.MaxValue : c.ChannelRefreshAt);
        }

        return next;
    }

    /// <summary>Under the lock: refreshes what is due (RFC 8656 §8, §9, §12).</summary>
    private void RefreshDue(TimeSpan now)
    {
        if (_relayed is not null && now >= _allocationRefreshAt && !_requests.Values.Any(r => r.Kind == TurnRequestKind.Refresh))
        {
            _allocationRefreshAt = TimeSpan.MaxValue;
            SendRequest(TurnRequestKind.Refresh);
        }

        foreach (var p in _permissions.Values)
        {
            if (!p.Pending && now >= p.RefreshAt)
            {
                p.Pending = true;
                SendRequest(TurnRequestKind.CreatePermission, permission: p);
            }
        }

        foreach (var c in _channels.Values)
        {
            if (!c.ChannelPending && now >= c.ChannelRefreshAt)
            {
                c.ChannelPending = true;
                SendRequest(TurnRequestKind.ChannelBind, c);
            }
        }

        // A peer whose permission arrived since its last send gets its channel now.
        foreach (var peer in _peers.Values)
        {
            if (peer.Channel == 0 && _permissions.TryGetValue(peer.EndPoint.Address, out var perm) && perm.Installed)
            {
                EnsurePermission(peer);
            }
        }
    }
}
