using System.Net;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Testing.Network;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>
/// The virtual TURN server (RFC 8656 over UDP) driven by hand-built STUN messages: long-term credentials, Allocate,
/// Refresh, permissions, channels, the data path both ways and expiry in virtual time.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class VirtualTurnServerTests
{
    private const string User = "alice";
    private const string Password = "secret";
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    /// <summary>A TURN server and two peers on the Internet, a client behind a port-restricted NAT.</summary>
    private sealed class World : IDisposable
    {
        public World(int seed = 1)
        {
            // Deliveries stay exact; only the server's expiry timer fires up to 10 ms late. Minutes pass quickly.
            Net = new VirtualNetwork(seed) { Resolution = TimeSpan.FromMilliseconds(10) };
            Server = new VirtualTurnServer(Net.Internet.AddHost("turn"));
            Server.AddUser(User, Password);
            Server.AddUser("bob", "other");
            Nat = Net.Internet.AddRouter("nat", NatBehavior.PortRestrictedCone);
            Client = new TurnTestClient(Nat.Inside.AddHost("client"), Server.EndPoint, User, Password);
            var peerHost = Net.Internet.AddHost("peer");
            Peer = new DatagramProbe(peerHost, 1000);
            PeerOtherPort = new DatagramProbe(peerHost, 2000);
            OtherPeer = new DatagramProbe(Net.Internet.AddHost("other"), 1000);
        }

        public VirtualNetwork Net { get; }

        public VirtualTurnServer Server { get; }

        public VirtualRouter Nat { get; }

        public TurnTestClient Client { get; }

        public DatagramProbe Peer { get; }

        public DatagramProbe PeerOtherPort { get; }

        public DatagramProbe OtherPeer { get; }

        public VirtualTurnAllocationInfo Allocation => Server.GetAllocations().Single();

        public IPEndPoint Allocate()
        {
            var reply = Client.Allocate();
            Assert.That(reply, Is.Not.Null.And.Property(nameof(TurnReply.IsSuccess)).True, reply?.ToString());
            return reply!.Relayed!;
        }

        public void Dispose() => Server.Dispose();
    }

    [Test]
    public void An_unauthenticated_Allocate_gets_401_with_realm_and_nonce_and_the_authenticated_retry_a_relayed_address()
    {
        using var w = new World();

        var challenge = w.Client.Request(StunMethod.Allocate, (ref StunMessageWriter m) => m.AddUInt32(StunAttributeType.RequestedTransport, 17u << 24));
        var allocated = w.Client.Request(StunMethod.Allocate, (ref StunMessageWriter m) => m.AddUInt32(StunAttributeType.RequestedTransport, 17u << 24));

        Assert.Multiple(() =>
        {
            Assert.That(challenge!.ErrorCode, Is.EqualTo(StunErrorCodes.Unauthenticated));
            Assert.That(challenge.Realm, Is.EqualTo(VirtualTurnServer.DefaultRealm));
            Assert.That(challenge.Nonce, Is.Not.Empty);
            Assert.That(challenge.HasMessageIntegrity, Is.False, "a 401 to a request without credentials is not signed");
            Assert.That(challenge.HasFingerprint, Is.True);

            Assert.That(allocated!.IsSuccess, Is.True, allocated.ToString());
            Assert.That(allocated.IntegrityVerified, Is.True, "signed with MD5(user:realm:password)");
            Assert.That(allocated.HasFingerprint, Is.True);
            Assert.That(allocated.Lifetime, Is.EqualTo(600));
            Assert.That(allocated.Relayed!.Address, Is.EqualTo(w.Server.RelayAddress));
            Assert.That(allocated.Relayed.Port, Is.InRange(49152, 65535));
            Assert.That(allocated.Mapped!.Address, Is.EqualTo(w.Nat.ExternalAddress), "XOR-MAPPED-ADDRESS: the client as the server sees it");

            var allocation = w.Allocation;
            Assert.That(allocation.Client, Is.EqualTo(allocated.Mapped));
            Assert.That(allocation.Relayed, Is.EqualTo(allocated.Relayed));
            Assert.That(allocation.Username, Is.EqualTo(User));
            Assert.That(allocation.ExpiresAt - w.Net.Now, Is.InRange(TimeSpan.FromSeconds(599), TimeSpan.FromSeconds(600)));
            Assert.That(w.Server.Counters.Errors(StunErrorCodes.Unauthenticated), Is.EqualTo(1));
            Assert.That(w.Server.Counters.AllocationsCreated, Is.EqualTo(1));
        });
    }

    [TestCase("alice", "wrong", false, TestName = "A_wrong_password_gets_401")]
    [TestCase("mallory", "secret", false, TestName = "An_unknown_user_gets_401")]
    [TestCase("alice", "secret", true, TestName = "Rejecting_all_credentials_gives_401_even_to_a_good_password")]
    public void Refused_credentials_get_401_with_a_nonce_and_no_allocation(string user, string password, bool rejectAll)
    {
        using var w = new World();
        w.Server.RejectAllCredentials = rejectAll;
        w.Client.Username = user;
        w.Client.Password = password;

        var reply = w.Client.Allocate();

        Assert.Multiple(() =>
        {
            Assert.That(reply!.ErrorCode, Is.EqualTo(StunErrorCodes.Unauthenticated));
            Assert.That(reply.Nonce, Is.Not.Empty);
            Assert.That(reply.HasMessageIntegrity, Is.False);
            Assert.That(w.Server.AllocationCount, Is.Zero);
            Assert.That(w.Server.Counters.Errors(StunErrorCodes.Unauthenticated), Is.EqualTo(2), "the challenge and the refusal");
        });
    }

    [Test]
    public void A_request_with_an_expired_nonce_gets_438_with_a_new_nonce_and_the_retry_succeeds()
    {
        using var w = new World();
        w.Server.NonceLifetime = TimeSpan.FromSeconds(30);
        w.Allocate();
        var first = w.Client.Nonce;
        w.Net.Advance(TimeSpan.FromSeconds(31));

        var stale = w.Client.Request(StunMethod.Refresh);
        var second = w.Client.Nonce;
        var retried = w.Client.Request(StunMethod.Refresh);

        Assert.Multiple(() =>
        {
            Assert.That(stale!.ErrorCode, Is.EqualTo(StunErrorCodes.StaleNonce));
            Assert.That(stale.Realm, Is.EqualTo(VirtualTurnServer.DefaultRealm));
            Assert.That(second, Is.Not.Null.And.Not.EqualTo(first));
            Assert.That(retried!.IsSuccess, Is.True, retried.ToString());
            Assert.That(w.Allocation.Refreshes, Is.EqualTo(1));
        });
    }

    [Test]
    public void Expiring_the_nonces_on_demand_gives_438_on_the_next_request()
    {
        using var w = new World();
        w.Server.NonceLifetime = Timeout.InfiniteTimeSpan;
        w.Client.Allocate(3600);
        w.Net.Advance(TimeSpan.FromMinutes(50));
        Assert.That(w.Client.CreatePermission(w.Peer.EndPoint)!.IsSuccess, Is.True, "an infinite nonce never goes stale");

        w.Server.ExpireNonces();

        Assert.That(w.Client.Request(StunMethod.Refresh)!.ErrorCode, Is.EqualTo(StunErrorCodes.StaleNonce));
    }

    [Test]
    public void A_second_Allocate_on_the_same_5_tuple_gets_437_and_a_retransmission_the_same_answer()
    {
        using var w = new World();
        w.Allocate();
        var id = StunTransactionId.NewRandom();
        StunAttributes udp = (ref StunMessageWriter m) => m.AddUInt32(StunAttributeType.RequestedTransport, 17u << 24);

        var again = w.Client.Request(StunMethod.Allocate, udp);
        var original = w.Client.Request(StunMethod.Refresh, transactionId: id);
        var retransmitted = w.Client.Request(StunMethod.Refresh, transactionId: id);

        Assert.Multiple(() =>
        {
            Assert.That(again!.ErrorCode, Is.EqualTo(StunErrorCodes.AllocationMismatch));
            Assert.That(again.IntegrityVerified, Is.True, "errors after authentication are signed");
            Assert.That(original!.IsSuccess && retransmitted!.IsSuccess, Is.True);
            Assert.That(w.Server.Counters.AllocationsCreated, Is.EqualTo(1));
        });
    }

    [Test]
    public void A_retransmitted_Allocate_gets_the_original_response_not_437()
    {
        using var w = new World();
        w.Client.Request(StunMethod.Allocate); // 401: realm and nonce
        var id = StunTransactionId.NewRandom();
        StunAttributes udp = (ref StunMessageWriter m) => m.AddUInt32(StunAttributeType.RequestedTransport, 17u << 24);

        var first = w.Client.Request(StunMethod.Allocate, udp, transactionId: id);
        var second = w.Client.Request(StunMethod.Allocate, udp, transactionId: id);

        Assert.Multiple(() =>
        {
            Assert.That(first!.IsSuccess, Is.True, first.ToString());
            Assert.That(second!.Raw, Is.EqualTo(first.Raw));
            Assert.That(w.Server.Counters.AllocationsCreated, Is.EqualTo(1));
        });
    }

    [TestCase(null, StunErrorCodes.BadRequest, TestName = "An_Allocate_without_REQUESTED_TRANSPORT_gets_400")]
    [TestCase(6, StunErrorCodes.UnsupportedTransportProtocol, TestName = "An_Allocate_for_TCP_gets_442")]
    public void An_Allocate_for_anything_but_UDP_is_refused(int? protocol, int expected)
    {
        using var w = new World();
        var reply = w.Client.RequestWithRetry(StunMethod.Allocate, (ref StunMessageWriter m) =>
        {
            if (protocol is { } p)
            {
                m.AddUInt32(StunAttributeType.RequestedTransport, (uint)p << 24);
            }
        });

        Assert.That(reply!.ErrorCode, Is.EqualTo(expected));
        Assert.That(w.Server.AllocationCount, Is.Zero);
    }

    [Test]
    public void An_Allocate_with_EVEN_PORT_gets_an_even_relayed_port()
    {
        using var w = new World();
        for (var i = 0; i < 4; i++)
        {
            using var client = new TurnTestClient(w.Nat.Inside.AddHost($"even{i}"), w.Server.EndPoint, User, Password);
            var reply = client.RequestWithRetry(StunMethod.Allocate, (ref StunMessageWriter m) =>
            {
                m.AddUInt32(StunAttributeType.RequestedTransport, 17u << 24);
                m.AddAttribute(StunAttributeType.EvenPort, [0x00]);
                m.AddEmpty(StunAttributeType.DontFragment);
            });

            Assert.That(reply!.IsSuccess, Is.True, reply.ToString());
            Assert.That(reply.Relayed!.Port % 2, Is.Zero, reply.Relayed.ToString());
        }
    }

    [TestCase("reservation token", StunErrorCodes.InsufficientCapacity, TestName = "An_Allocate_with_a_RESERVATION_TOKEN_gets_508")]
    [TestCase("reserve the next port", StunErrorCodes.InsufficientCapacity, TestName = "An_Allocate_with_EVEN_PORT_asking_for_a_reservation_gets_508")]
    [TestCase("ipv6", StunErrorCodes.AddressFamilyNotSupported, TestName = "An_Allocate_for_an_IPv6_relayed_address_gets_440")]
    [TestCase("token and even port", StunErrorCodes.BadRequest, TestName = "An_Allocate_with_a_RESERVATION_TOKEN_and_EVEN_PORT_gets_400")]
    public void Allocate_options_the_server_does_not_offer_are_refused(string what, int expected)
    {
        using var w = new World();
        var reply = w.Client.RequestWithRetry(StunMethod.Allocate, (ref StunMessageWriter m) =>
        {
            m.AddUInt32(StunAttributeType.RequestedTransport, 17u << 24);
            if (what.Contains("token", StringComparison.Ordinal))
            {
                m.AddUInt64(StunAttributeType.ReservationToken, 0x0102030405060708);
            }

            if (what.Contains("even port", StringComparison.Ordinal))
            {
                m.AddAttribute(StunAttributeType.EvenPort, [0x00]);
            }

            if (what == "reserve the next port")
            {
                m.AddAttribute(StunAttributeType.EvenPort, [0x80]);
            }

            if (what == "ipv6")
            {
                m.AddUInt32(StunAttributeType.RequestedAddressFamily, 0x02u << 24);
            }
        });

        Assert.That(reply!.ErrorCode, Is.EqualTo(expected));
        Assert.That(w.Server.AllocationCount, Is.Zero);
    }

    [Test]
    public void An_Allocate_that_also_asks_for_IPv6_gets_IPv4_and_ADDRESS_ERROR_CODE_440()
    {
        using var w = new World();
        var reply = w.Client.RequestWithRetry(StunMethod.Allocate, (ref StunMessageWriter m) =>
        {
            m.AddUInt32(StunAttributeType.RequestedTransport, 17u << 24);
            m.AddUInt32(StunAttributeType.AdditionalAddressFamily, 0x02u << 24);
        });

        Assert.That(reply!.IsSuccess, Is.True, reply.ToString());
        Assert.That(StunMessage.TryParse(reply.Raw, out var message), Is.EqualTo(StunParseResult.Success));
        Assert.That(message.TryGetAttribute(StunAttributeType.AddressErrorCode, out var error), Is.True);
        Assert.That((error[0], error[2] * 100 + error[3]), Is.EqualTo(((byte)0x02, 440)), "IPv6 not supported");
    }

    [Test]
    public void The_maximum_lifetime_is_a_knob()
    {
        using var w = new World();
        w.Server.MaxLifetime = TimeSpan.FromMinutes(20);

        Assert.That(w.Client.Allocate(3600)!.Lifetime, Is.EqualTo(1200));
        Assert.That(w.Allocation.ExpiresAt - w.Net.Now, Is.GreaterThan(TimeSpan.FromMinutes(19.9)));
    }

    [Test]
    public void A_user_over_the_quota_gets_486()
    {
        using var w = new World();
        w.Server.AllocationQuota = 1;
        w.Allocate();
        using var second = new TurnTestClient(w.Nat.Inside.AddHost("client2"), w.Server.EndPoint, User, Password);

        Assert.That(second.Allocate()!.ErrorCode, Is.EqualTo(StunErrorCodes.AllocationQuotaReached));
    }

    [Test]
    public void Another_user_on_the_same_5_tuple_gets_441()
    {
        using var w = new World();
        w.Allocate();
        w.Client.Username = "bob";
        w.Client.Password = "other";

        Assert.That(w.Client.Refresh()!.ErrorCode, Is.EqualTo(StunErrorCodes.WrongCredentials));
    }

    [TestCase(7200u, 3600u, TestName = "A_LIFETIME_above_the_maximum_is_cut_to_the_maximum")]
    [TestCase(60u, 600u, TestName = "A_LIFETIME_below_the_default_gets_the_default")]
    [TestCase(1800u, 1800u, TestName = "A_LIFETIME_between_the_default_and_the_maximum_is_granted")]
    public void The_granted_lifetime_follows_RFC_8656(uint requested, uint granted)
    {
        using var w = new World();
        var reply = w.Client.Allocate(requested);

        Assert.That(reply!.Lifetime, Is.EqualTo(granted));
        Assert.That(w.Client.Refresh(requested)!.Lifetime, Is.EqualTo(granted));
    }

    [Test]
    public void Peers_without_a_permission_are_dropped_both_ways_and_a_permission_covers_every_port_of_the_address()
    {
        using var w = new World();
        var relayed = w.Allocate();

        w.Peer.Send("unsolicited", relayed);
        w.Client.SendIndication(w.Peer.EndPoint, "no permission yet");
        w.Net.Advance(Step);
        var permitted = w.Client.CreatePermission(w.Peer.EndPoint);
        w.Client.SendIndication(w.Peer.EndPoint, "to the peer");
        w.Net.Advance(Step);
        w.Peer.Send("from the peer", relayed);
        w.PeerOtherPort.Send("from another port", relayed);
        w.OtherPeer.Send("from another address", relayed);
        w.Net.Advance(Step);

        Assert.Multiple(() =>
        {
            Assert.That(permitted!.IsSuccess, Is.True);
            Assert.That(permitted.IntegrityVerified, Is.True);
            Assert.That(w.Peer.Received.Select(r => r.Text), Is.EqualTo(new[] { "to the peer" }));
            Assert.That(w.Peer.Received.Single().From, Is.EqualTo(relayed), "relayed from the relayed address");
            Assert.That(w.Client.PeerData, Is.EqualTo(new (string, IPEndPoint?, ushort)[]
            {
                ("from the peer", w.Peer.EndPoint, 0),
                ("from another port", w.PeerOtherPort.EndPoint, 0),
            }));
            Assert.That(w.Server.Counters.Dropped(VirtualTurnDropReason.NoPermissionFromPeer), Is.EqualTo(2));
            Assert.That(w.Server.Counters.Dropped(VirtualTurnDropReason.NoPermissionToPeer), Is.EqualTo(1));
            Assert.That(w.Allocation.Permissions.Select(p => p.Peer), Is.EqualTo(new[] { w.Peer.EndPoint.Address }));
            Assert.That(w.Allocation.PacketsToPeers, Is.EqualTo(1));
            Assert.That(w.Allocation.PacketsFromPeers, Is.EqualTo(2));
            Assert.That(w.Allocation.DroppedFromPeers, Is.EqualTo(2));
        });
    }

    [Test]
    public void Channel_data_flows_both_ways_on_a_bound_channel_and_other_peers_still_get_Data_indications()
    {
        using var w = new World();
        var relayed = w.Allocate();

        var bound = w.Client.ChannelBind(0x4001, w.Peer.EndPoint);
        w.Client.CreatePermission(w.OtherPeer.EndPoint);
        w.Client.SendChannelData(0x4001, "over the channel");
        w.Client.SendChannelData(0x4002, "unbound channel");
        w.Net.Advance(Step);
        w.Peer.Send("back over the channel", relayed);
        w.PeerOtherPort.Send("same address, other port", relayed);
        w.OtherPeer.Send("indication", relayed);
        w.Net.Advance(Step);

        Assert.Multiple(() =>
        {
            Assert.That(bound!.IsSuccess && bound.IntegrityVerified, Is.True, bound?.ToString());
            Assert.That(w.Peer.Received.Select(r => r.Text), Is.EqualTo(new[] { "over the channel" }));
            Assert.That(w.Client.PeerData, Is.EqualTo(new (string, IPEndPoint?, ushort)[]
            {
                ("back over the channel", null, 0x4001),
                ("same address, other port", w.PeerOtherPort.EndPoint, 0),
                ("indication", w.OtherPeer.EndPoint, 0),
            }));
            Assert.That(w.Server.Counters.Dropped(VirtualTurnDropReason.UnboundChannel), Is.EqualTo(1));
            Assert.That(w.Server.Counters.ChannelDataFromClientsRelayed, Is.EqualTo(1));
            Assert.That(w.Server.Counters.ChannelDataToClientsSent, Is.EqualTo(1));
            Assert.That(w.Server.Counters.DataIndicationsSent, Is.EqualTo(2));
            Assert.That(w.Allocation.Channels, Has.Count.EqualTo(1));
            Assert.That(w.Allocation.Channels[0].Number, Is.EqualTo(0x4001));
            Assert.That(w.Allocation.Permissions.Select(p => p.Peer), Is.EquivalentTo(new[] { w.Peer.EndPoint.Address, w.OtherPeer.EndPoint.Address }),
                "ChannelBind installs a permission");
        });
    }

    [TestCase(0x3FFF, TestName = "A_channel_number_below_0x4000_gets_400")]
    [TestCase(0x5000, TestName = "A_channel_number_above_0x4FFF_gets_400")]
    public void Channel_numbers_outside_the_range_are_refused(int number)
    {
        using var w = new World();
        w.Allocate();

        Assert.That(w.Client.ChannelBind((ushort)number, w.Peer.EndPoint)!.ErrorCode, Is.EqualTo(StunErrorCodes.BadRequest));
    }

    [Test]
    public void A_channel_is_rebound_only_to_its_own_peer_and_a_peer_only_to_its_own_channel()
    {
        using var w = new World();
        w.Allocate();
        w.Client.ChannelBind(0x4000, w.Peer.EndPoint);
        w.Net.Advance(TimeSpan.FromMinutes(4));

        var refresh = w.Client.ChannelBind(0x4000, w.Peer.EndPoint);
        var otherPeer = w.Client.ChannelBind(0x4000, w.OtherPeer.EndPoint);
        var otherChannel = w.Client.ChannelBind(0x4001, w.Peer.EndPoint);

        Assert.Multiple(() =>
        {
            Assert.That(refresh!.IsSuccess, Is.True);
            Assert.That(w.Allocation.Channels.Single().ExpiresAt - w.Net.Now, Is.GreaterThan(TimeSpan.FromMinutes(9.9)), "refreshed");
            Assert.That(otherPeer!.ErrorCode, Is.EqualTo(StunErrorCodes.BadRequest));
            Assert.That(otherChannel!.ErrorCode, Is.EqualTo(StunErrorCodes.BadRequest));
        });
    }

    [Test]
    public void After_a_channel_expires_its_number_and_peer_stay_reserved_for_the_cool_down()
    {
        using var w = new World();
        w.Client.Allocate(3600);
        w.Client.ChannelBind(0x4000, w.Peer.EndPoint);
        w.Net.Advance(TimeSpan.FromMinutes(11));
        var expired = w.Allocation.Channels.Count;

        var duringCooldown = w.Client.ChannelBind(0x4000, w.OtherPeer.EndPoint);
        w.Net.Advance(TimeSpan.FromMinutes(5));
        var afterCooldown = w.Client.ChannelBind(0x4000, w.OtherPeer.EndPoint);

        Assert.Multiple(() =>
        {
            Assert.That(expired, Is.Zero);
            Assert.That(duringCooldown!.ErrorCode, Is.EqualTo(StunErrorCodes.BadRequest));
            Assert.That(afterCooldown!.IsSuccess, Is.True);
        });
    }

    [Test]
    public void Permissions_channels_and_the_allocation_expire_in_virtual_time()
    {
        using var w = new World();
        var relayed = w.Allocate();
        w.Client.CreatePermission(w.OtherPeer.EndPoint);
        w.Client.ChannelBind(0x4000, w.Peer.EndPoint);

        w.Net.Advance(TimeSpan.FromSeconds(299));
        var before = w.Allocation;
        w.Net.Advance(TimeSpan.FromSeconds(2));
        var afterPermissions = w.Allocation;
        w.OtherPeer.Send("too late", relayed);
        w.Client.SendChannelData(0x4000, "channel alive, permission expired");
        w.Net.Advance(TimeSpan.FromSeconds(298));
        var beforeAllocation = w.Allocation;
        w.Net.Advance(TimeSpan.FromSeconds(2));
        w.Peer.Send("to a closed relay", relayed);
        w.Net.Advance(Step);

        Assert.Multiple(() =>
        {
            Assert.That(before.Permissions, Has.Count.EqualTo(2));
            Assert.That(afterPermissions.Permissions, Is.Empty, "permissions last 300 s");
            Assert.That(afterPermissions.Channels, Has.Count.EqualTo(1), "channels last 600 s");
            Assert.That(w.Server.Counters.Dropped(VirtualTurnDropReason.NoPermissionFromPeer), Is.EqualTo(1));
            Assert.That(w.Server.Counters.Dropped(VirtualTurnDropReason.NoPermissionToPeer), Is.EqualTo(1));
            Assert.That(beforeAllocation.Channels, Has.Count.EqualTo(1));
            Assert.That(w.Server.AllocationCount, Is.Zero, "the allocation lasts 600 s");
            Assert.That(w.Server.Counters.AllocationsExpired, Is.EqualTo(1));
            Assert.That(w.Net.Counters.Dropped(DatagramDropReason.NoSocket), Is.EqualTo(1), "the relay socket is closed");
            Assert.That(w.Client.Refresh()!.ErrorCode, Is.EqualTo(StunErrorCodes.AllocationMismatch));
        });
    }

    [Test]
    public void Refreshes_keep_an_allocation_and_its_permission_alive()
    {
        using var w = new World();
        var relayed = w.Allocate();
        for (var minute = 0; minute < 30; minute++)
        {
            if (minute % 4 == 0)
            {
                Assert.That(w.Client.CreatePermission(w.Peer.EndPoint)!.IsSuccess, Is.True);
            }

            if (minute % 8 == 0)
            {
                Assert.That(w.Client.Refresh()!.IsSuccess, Is.True);
            }

            w.Net.Advance(TimeSpan.FromMinutes(1));
        }

        w.Peer.Send("still here", relayed);
        w.Net.Advance(Step);

        Assert.Multiple(() =>
        {
            Assert.That(w.Client.PeerData.Select(d => d.Text), Is.EqualTo(new[] { "still here" }));
            Assert.That(w.Allocation.Refreshes, Is.EqualTo(4));
            Assert.That(w.Server.Counters.Errors(StunErrorCodes.StaleNonce), Is.GreaterThan(0), "the 10-minute nonces went stale on the way");
        });
    }

    [Test]
    public void A_Refresh_with_LIFETIME_0_deletes_the_allocation_and_closes_its_relay()
    {
        using var w = new World();
        var relayed = w.Allocate();
        w.Client.CreatePermission(w.Peer.EndPoint);

        var deleted = w.Client.Refresh(0);
        w.Peer.Send("after the delete", relayed);
        w.Net.Advance(Step);

        Assert.Multiple(() =>
        {
            Assert.That(deleted!.IsSuccess, Is.True);
            Assert.That(deleted.Lifetime, Is.Zero);
            Assert.That(w.Server.AllocationCount, Is.Zero);
            Assert.That(w.Server.Counters.AllocationsDeleted, Is.EqualTo(1));
            Assert.That(w.Net.Counters.Dropped(DatagramDropReason.NoSocket), Is.EqualTo(1));
            Assert.That(w.Client.Refresh()!.ErrorCode, Is.EqualTo(StunErrorCodes.AllocationMismatch));
            Assert.That(w.Client.Allocate()!.IsSuccess, Is.True, "the 5-tuple may allocate again");
        });
    }

    [Test]
    public void The_nth_request_fails_on_demand_or_goes_unanswered()
    {
        using var w = new World();
        w.Allocate(); // requests 1 and 2
        w.Server.FailRequest(3, StunErrorCodes.ServerError);
        w.Server.FailRequest(4, 0);

        var failed = w.Client.Refresh();
        var unanswered = w.Client.Request(StunMethod.Refresh);
        var fine = w.Client.Refresh();

        Assert.Multiple(() =>
        {
            Assert.That(failed!.ErrorCode, Is.EqualTo(StunErrorCodes.ServerError));
            Assert.That(unanswered, Is.Null);
            Assert.That(fine!.IsSuccess, Is.True);
            Assert.That(w.Server.Counters.Dropped(VirtualTurnDropReason.RequestDroppedOnPurpose), Is.EqualTo(1));
            Assert.That(w.Server.Counters.RequestsOf(StunMethod.Refresh), Is.EqualTo(3));
        });
    }

    [Test]
    public void A_Binding_request_is_answered_without_credentials()
    {
        using var w = new World();

        var reply = w.Client.Request(StunMethod.Binding, authenticate: false);

        Assert.That(reply!.IsSuccess, Is.True);
        Assert.That(reply.Mapped!.Address, Is.EqualTo(w.Nat.ExternalAddress));
    }

    [Test]
    public void A_request_with_an_unknown_comprehension_required_attribute_gets_420()
    {
        using var w = new World();
        w.Allocate();

        var reply = w.Client.RequestWithRetry(StunMethod.Refresh, (ref StunMessageWriter m) => m.AddAttribute((ushort)0x7777, [1, 2, 3, 4]));

        Assert.That(reply!.ErrorCode, Is.EqualTo(StunErrorCodes.UnknownAttribute));
        Assert.That(reply.UnknownAttributes, Is.EqualTo(new ushort[] { 0x7777 }));
    }
}
