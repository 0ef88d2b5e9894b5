using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Testing.Network;

/// <summary>The data path (RFC 8656 §11, §12.4–§12.6) and expiry of allocations, permissions and channels in virtual time.</summary>
public sealed partial class VirtualTurnServer
{
    /// <summary>Under the lock: a Send indication from a client, relayed to the peer if it has a permission.</summary>
    private void OnSendIndication(in StunMessage indication, IPEndPoint client)
    {
        if (!_allocations.TryGetValue(client, out var allocation))
        {
            Counters.CountDropped(VirtualTurnDropReason.NoAllocation);
            return;
        }

        if (!indication.TryGetXorAddress(StunAttributeType.XorPeerAddress, out var peer) || !indication.TryGetAttribute(StunAttributeType.Data, out var data))
        {
            Counters.CountDropped(VirtualTurnDropReason.IncompleteSendIndication);
            return;
        }

        if (!allocation.HasPermission(peer!.Address, Network.Now))
        {
            Counters.CountDropped(VirtualTurnDropReason.NoPermissionToPeer);
            return;
        }

        allocation.Relay.Send(data, peer);
        allocation.PacketsToPeers++;
        Counters.CountSendIndication();
    }

    /// <summary>Under the lock: ChannelData from a client (4-byte header: channel number, length), relayed on its bound channel.</summary>
    private void OnChannelDataFromClient(IPEndPoint client, ReadOnlySpan<byte> datagram)
    {
        if (!_allocations.TryGetValue(client, out var allocation))
        {
            Counters.CountDropped(VirtualTurnDropReason.NoAllocation);
            return;
        }

        var number = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (length > datagram.Length - 4)
        {
            Counters.CountDropped(VirtualTurnDropReason.TruncatedChannelData);
            return;
        }

        var now = Network.Now;
        if (allocation.PeerOfChannel(number, now) is not { } peer)
        {
            Counters.CountDropped(VirtualTurnDropReason.UnboundChannel);
            return;
        }

        if (!allocation.HasPermission(peer.Address, now))
        {
            Counters.CountDropped(VirtualTurnDropReason.NoPermissionToPeer);
            return;
        }

        allocation.Relay.Send(datagram.Slice(4, length), peer);
        allocation.PacketsToPeers++;
        Counters.CountChannelDataFromClient();
    }

    /// <summary>A relay socket: a peer's datagram, relayed to the client as ChannelData if a channel is bound to the peer, else as a Data indication.</summary>
    private void OnPeerDatagram(VirtualTurnAllocation allocation, ReadOnlySpan<byte> data, SocketAddress remote)
    {
        var peer = ToEndPoint(remote);
        lock (_sync)
        {
            if (_disposed || allocation.Deleted)
            {
                return;
            }

            var now = Network.Now;
            if (!allocation.HasPermission(peer.Address, now))
            {
                allocation.DroppedFromPeers++;
                Counters.CountDropped(VirtualTurnDropReason.NoPermissionFromPeer);
                return;
            }

            allocation.PacketsFromPeers++;
            var channel = allocation.ChannelOfPeer(peer, now);
            if (channel != 0)
            {
                // Over UDP the server need not pad ChannelData (RFC 8656 §12.5).
                BinaryPrimitives.WriteUInt16BigEndian(_buffer, channel);
                BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(2), (ushort)data.Length);
                data.CopyTo(_buffer.AsSpan(4));
                _socket.Send(_buffer.AsSpan(0, 4 + data.Length), allocation.Client);
                Counters.CountChannelDataToClient();
                return;
            }

            // A Data indication (RFC 8656 §11.3): XOR-PEER-ADDRESS and DATA, no MESSAGE-INTEGRITY.
            var w = new StunMessageWriter(_buffer, StunMethod.Data, StunMessageClass.Indication, StunTransactionId.NewRandom());
            w.AddXorAddress(peer, StunAttributeType.XorPeerAddress);
            w.AddAttribute(StunAttributeType.Data, data);
            _socket.Send(w.Written, allocation.Client);
            Counters.CountDataIndication();
        }
    }

    /// <summary>Under the lock: deletes an allocation; its relay socket is closed by the caller, outside the lock.</summary>
    private void Remove(VirtualTurnAllocation allocation, ref List<VirtualSocket>? closed)
    {
        allocation.Deleted = true;
        _allocations.Remove(allocation.Client);
        (closed ??= []).Add(allocation.Relay);
    }

    /// <summary>Under the lock: one timer, due at the earliest expiry of anything (a fresh timer each time, see <see cref="VirtualNetwork"/>).</summary>
    private void Reschedule(TimeSpan now)
    {
        var next = TimeSpan.MaxValue;
        foreach (var a in _allocations.Values)
        {
            var n = a.NextExpiry();
            next = n < next ? n : next;
        }

        if (next == _timerDue || _disposed)
        {
            return;
        }

        _timer?.Dispose();
        _timer = null;
        _timerDue = next;
        if (next == TimeSpan.MaxValue)
        {
            return;
        }

        var due = next - now;
        _timer = Network.TimeProvider.CreateTimer(_ => OnTimer(), null, due > TimeSpan.Zero ? due : VirtualNetwork.MinimumLatency, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The expiry timer: deletes expired allocations (closing their relay sockets), permissions and channel bindings.</summary>
    private void OnTimer()
    {
        List<VirtualSocket>? closed = null;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            var now = Network.Now;
            foreach (var allocation in _allocations.Values.ToArray())
            {
                if (now >= allocation.ExpiresAt)
                {
                    Remove(allocation, ref closed);
                    Counters.CountAllocationExpired();
                }
                else
                {
                    allocation.Sweep(now);
                }
            }

            _timerDue = TimeSpan.MaxValue;
            Reschedule(now);
        }

        Close(closed);
    }
}
