using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Testing.Network;

/// <summary>The requests: authentication, then Allocate, Refresh, CreatePermission and ChannelBind (RFC 8656 §7, §9, §12).</summary>
public sealed partial class VirtualTurnServer
{
    private const byte ProtocolUdp = 17;
    private const byte FamilyIPv4 = 0x01;
    private const byte FamilyIPv6 = 0x02;
    private const int PeerAddressFamilyMismatch = 443;
    private const ushort FirstChannel = 0x4000;
    private const ushort LastChannel = 0x4FFF;

    /// <summary>Under the lock.</summary>
    private void OnRequest(in StunMessage request, IPEndPoint client, ref List<VirtualSocket>? closed)
    {
        var number = Counters.CountRequest(request.Method);
        var forced = _failures.Remove(number, out var code) ? code
            : RequestFilter?.Invoke(new VirtualTurnRequestInfo(number, request.Method, client, request.GetString(StunAttributeType.Username)));
        if (forced is { } f)
        {
            if (f == 0)
            {
                Counters.CountDropped(VirtualTurnDropReason.RequestDroppedOnPurpose);
            }
            else
            {
                // signed when the request was, as a real server does (the client drops unsigned answers to signed requests)
                _auth.Verify(request, Network.Now, out _, out var signingKey);
                SendError(client, request, f, f is StunErrorCodes.Unauthenticated or StunErrorCodes.StaleNonce ? null : signingKey);
            }

            return;
        }

        if (request.Method == StunMethod.Binding)
        {
            var w = Begin(request, StunMessageClass.SuccessResponse);
            w.AddXorAddress(client);
            Finish(ref w, null, client);
            return;
        }

        if (request.Method is not (StunMethod.Allocate or StunMethod.Refresh or StunMethod.CreatePermission or StunMethod.ChannelBind))
        {
            SendError(client, request, StunErrorCodes.BadRequest, null);
            return;
        }

        var now = Network.Now;
        switch (_auth.Verify(request, now, out var username, out var key))
        {
            case VirtualTurnAuthOutcome.NoCredentials or VirtualTurnAuthOutcome.Rejected:
                SendError(client, request, StunErrorCodes.Unauthenticated, null, withNonce: true);
                return;
            case VirtualTurnAuthOutcome.Incomplete:
                SendError(client, request, StunErrorCodes.BadRequest, null);
                return;
            case VirtualTurnAuthOutcome.StaleNonce:
                SendError(client, request, StunErrorCodes.StaleNonce, null, withNonce: true);
                return;
        }

        var unknown = new ushort[8];
        var unknownCount = request.GetUnknownComprehensionRequired(unknown);
        if (unknownCount > 0)
        {
            var w = Begin(request, StunMessageClass.ErrorResponse);
            w.AddErrorCode(StunErrorCodes.UnknownAttribute);
            w.AddUnknownAttributes(unknown.AsSpan(0, unknownCount));
            Counters.CountError(StunErrorCodes.UnknownAttribute);
            Finish(ref w, key, client);
            return;
        }

        if (request.Method == StunMethod.Allocate)
        {
            Allocate(request, client, username!, key!, now);
            return;
        }

        if (!_allocations.TryGetValue(client, out var allocation))
        {
            SendError(client, request, StunErrorCodes.AllocationMismatch, key);
            return;
        }

        if (allocation.Username != username)
        {
            // RFC 8656 §5: requests on an allocation must come from the user who created it.
            SendError(client, request, StunErrorCodes.WrongCredentials, key);
            return;
        }

        switch (request.Method)
        {
            case StunMethod.Refresh:
                Refresh(request, allocation, key!, now, ref closed);
                break;
            case StunMethod.CreatePermission:
                CreatePermission(request, allocation, key!, now);
                break;
            default:
                ChannelBind(request, allocation, key!, now);
                break;
        }
    }

    /// <summary>RFC 8656 §7.2.</summary>
    private void Allocate(in StunMessage request, IPEndPoint client, string username, byte[] key, TimeSpan now)
    {
        if (_allocations.TryGetValue(client, out var existing))
        {
            if (existing.AllocateTransaction == request.TransactionId)
            {
                _socket.Send(existing.AllocateResponse, client); // a retransmission: the same answer
            }
            else
            {
                SendError(client, request, StunErrorCodes.AllocationMismatch, key);
            }

            return;
        }

        if (!request.TryGetAttribute(StunAttributeType.RequestedTransport, out var transport) || transport.Length != 4)
        {
            SendError(client, request, StunErrorCodes.BadRequest, key);
            return;
        }

        if (transport[0] != ProtocolUdp)
        {
            SendError(client, request, StunErrorCodes.UnsupportedTransportProtocol, key);
            return;
        }

        var hasToken = request.HasAttribute(StunAttributeType.ReservationToken);
        var hasEvenPort = request.TryGetAttribute(StunAttributeType.EvenPort, out var evenPort);
        var hasFamily = request.TryGetAttribute(StunAttributeType.RequestedAddressFamily, out var family);
        var hasAdditional = request.TryGetAttribute(StunAttributeType.AdditionalAddressFamily, out var additional);
        if ((hasToken && (hasEvenPort || hasFamily)) || (hasFamily && hasAdditional)
            || (hasEvenPort && evenPort.Length != 1) || (hasFamily && (family.Length != 4 || family[0] is not (FamilyIPv4 or FamilyIPv6)))
            || (hasAdditional && (additional.Length != 4 || additional[0] != FamilyIPv6)))
        {
            SendError(client, request, StunErrorCodes.BadRequest, key);
            return;
        }

        if (hasToken || (hasEvenPort && (evenPort[0] & 0x80) != 0))
        {
            SendError(client, request, StunErrorCodes.InsufficientCapacity, key); // no reservations here
            return;
        }

        if (hasFamily && family[0] == FamilyIPv6)
        {
            SendError(client, request, StunErrorCodes.AddressFamilyNotSupported, key);
            return;
        }

        if (_allocations.Values.Count(a => a.Username == username) >= AllocationQuota)
        {
            SendError(client, request, StunErrorCodes.AllocationQuotaReached, key);
            return;
        }

        VirtualSocket relay;
        try
        {
            relay = BindRelay(hasEvenPort);
        }
        catch (SocketException)
        {
            SendError(client, request, StunErrorCodes.InsufficientCapacity, key);
            return;
        }

        var allocation = new VirtualTurnAllocation(client, relay, username, request.TransactionId, ChannelCooldown);
        var lifetime = GrantedLifetime(request);
        allocation.ExpiresAt = now + lifetime;
        _allocations.Add(client, allocation);
        relay.Start((data, remote) => OnPeerDatagram(allocation, data, remote));

        var w = Begin(request, StunMessageClass.SuccessResponse);
        w.AddXorAddress(relay.LocalEndPoint, StunAttributeType.XorRelayedAddress);
        w.AddUInt32(StunAttributeType.Lifetime, (uint)lifetime.TotalSeconds);
        w.AddXorAddress(client);
        if (hasAdditional)
        {
            // RFC 8656 §18.12: family, reserved bits, class 4, number 40, reason phrase: no IPv6 relayed address here.
            byte[] error = [FamilyIPv6, 0, 4, 40, .. "Address Family not Supported"u8];
            w.AddAttribute(StunAttributeType.AddressErrorCode, error);
        }

        var length = Finish(ref w, key, client);
        allocation.AllocateResponse = _buffer.AsSpan(0, length).ToArray();
        Counters.CountAllocationCreated();
        Reschedule(now);
    }

    /// <summary>RFC 8656 §7.3: LIFETIME 0 deletes; otherwise the lifetime starts again.</summary>
    private void Refresh(in StunMessage request, VirtualTurnAllocation allocation, byte[] key, TimeSpan now, ref List<VirtualSocket>? closed)
    {
        if (request.TryGetAttribute(StunAttributeType.RequestedAddressFamily, out var family) && (family.Length != 4 || family[0] != FamilyIPv4))
        {
            SendError(allocation.Client, request, PeerAddressFamilyMismatch, key);
            return;
        }

        TimeSpan lifetime;
        if (request.TryGetUInt32(StunAttributeType.Lifetime, out var requested) && requested == 0)
        {
            lifetime = TimeSpan.Zero;
            Remove(allocation, ref closed);
            Counters.CountAllocationDeleted();
        }
        else
        {
            lifetime = GrantedLifetime(request);
            allocation.ExpiresAt = now + lifetime;
        }

        allocation.Refreshes++;
        Counters.CountRefresh();
        var w = Begin(request, StunMessageClass.SuccessResponse);
        w.AddUInt32(StunAttributeType.Lifetime, (uint)lifetime.TotalSeconds);
        Finish(ref w, key, allocation.Client);
        Reschedule(now);
    }

    /// <summary>RFC 8656 §9.2: every XOR-PEER-ADDRESS gets a permission for its IP address (any port).</summary>
    private void CreatePermission(in StunMessage request, VirtualTurnAllocation allocation, byte[] key, TimeSpan now)
    {
        var peers = new List<IPAddress>();
        foreach (var attribute in request)
        {
            if (attribute.Type != StunAttributeType.XorPeerAddress)
            {
                continue;
            }

            if (!StunAddressCodec.TryDecodeXor(attribute.Value, request.TransactionId, out var peer))
            {
                SendError(allocation.Client, request, StunErrorCodes.BadRequest, key);
                return;
            }

            if (peer!.AddressFamily != AddressFamily.InterNetwork)
            {
                SendError(allocation.Client, request, PeerAddressFamilyMismatch, key);
                return;
            }

            peers.Add(peer.Address);
        }

        if (peers.Count == 0)
        {
            SendError(allocation.Client, request, StunErrorCodes.BadRequest, key);
            return;
        }

        foreach (var peer in peers)
        {
            allocation.InstallPermission(peer, now + PermissionLifetime);
            Counters.CountPermissionInstalled();
        }

        var w = Begin(request, StunMessageClass.SuccessResponse);
        Finish(ref w, key, allocation.Client);
        Reschedule(now);
    }

    /// <summary>RFC 8656 §12.2: binds (or refreshes) a channel and installs (or refreshes) the peer's permission.</summary>
    private void ChannelBind(in StunMessage request, VirtualTurnAllocation allocation, byte[] key, TimeSpan now)
    {
        if (!request.TryGetAttribute(StunAttributeType.ChannelNumber, out var channel) || channel.Length != 4
            || !request.TryGetXorAddress(StunAttributeType.XorPeerAddress, out var peer))
        {
            SendError(allocation.Client, request, StunErrorCodes.BadRequest, key);
            return;
        }

        if (peer!.AddressFamily != AddressFamily.InterNetwork)
        {
            SendError(allocation.Client, request, PeerAddressFamilyMismatch, key);
            return;
        }

        var number = BinaryPrimitives.ReadUInt16BigEndian(channel);
        if (number is < FirstChannel or > LastChannel || allocation.ConflictsWithBinding(number, peer, now))
        {
            SendError(allocation.Client, request, StunErrorCodes.BadRequest, key);
            return;
        }

        allocation.Bind(number, peer, now + ChannelLifetime);
        allocation.InstallPermission(peer.Address, now + PermissionLifetime);
        Counters.CountChannelBind();
        Counters.CountPermissionInstalled();
        var w = Begin(request, StunMessageClass.SuccessResponse);
        Finish(ref w, key, allocation.Client);
        Reschedule(now);
    }

    /// <summary>RFC 8656 §7.2: the smaller of the request's LIFETIME and the maximum, but never less than the default.</summary>
    private TimeSpan GrantedLifetime(in StunMessage request)
    {
        if (!request.TryGetUInt32(StunAttributeType.Lifetime, out var seconds))
        {
            return DefaultLifetime;
        }

        var requested = TimeSpan.FromSeconds(seconds);
        var granted = requested < MaxLifetime ? requested : MaxLifetime;
        return granted > DefaultLifetime ? granted : DefaultLifetime;
    }

    /// <summary>A relay socket on an ephemeral port (49152–65535, RFC 8656 §7.2), even if asked (EVEN-PORT).</summary>
    private VirtualSocket BindRelay(bool even)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var socket = _host.BindSocket(RelayAddress, 0);
            if (!even || socket.LocalEndPoint.Port % 2 == 0)
            {
                return socket;
            }

            socket.Dispose();
        }

        throw new SocketException((int)SocketError.NoBufferSpaceAvailable);
    }

    private StunMessageWriter Begin(in StunMessage request, StunMessageClass messageClass) =>
        new(_buffer, request.Method, messageClass, request.TransactionId);

    /// <summary>SOFTWARE, MESSAGE-INTEGRITY when the request was authenticated, FINGERPRINT; sends; returns the length.</summary>
    private int Finish(ref StunMessageWriter writer, byte[]? key, IPEndPoint client)
    {
        if (Software is { } software)
        {
            writer.AddString(StunAttributeType.Software, software);
        }

        if (key is not null)
        {
            writer.AddMessageIntegrity(key);
        }

        writer.AddFingerprint();
        var length = writer.Length;
        _socket.Send(_buffer.AsSpan(0, length), client);
        return length;
    }

    /// <summary>An error response; 401 and 438 carry REALM and a new NONCE (RFC 8489 §9.2.4) and are never signed.</summary>
    private void SendError(IPEndPoint client, in StunMessage request, int code, byte[]? key, bool withNonce = false)
    {
        var w = Begin(request, StunMessageClass.ErrorResponse);
        w.AddErrorCode(code);
        if (withNonce)
        {
            w.AddString(StunAttributeType.Realm, _auth.Realm);
            w.AddString(StunAttributeType.Nonce, _auth.NewNonce(Network.Now));
        }

        Counters.CountError(code);
        Finish(ref w, key, client);
    }
}
