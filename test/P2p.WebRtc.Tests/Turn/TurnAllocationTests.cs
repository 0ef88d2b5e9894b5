using System.Buffers.Binary;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Turn;

#pragma warning disable NUnit1027 // FsCheck supplies the arguments of [Property] tests

namespace P2p.WebRtc.Tests.Turn;

/// <summary>The TURN client's protocol in virtual time, against a server the test scripts message by message (RFC 8656).</summary>
public class TurnAllocationTests
{
    private static readonly IPEndPoint Relayed = new(IPAddress.Parse("198.51.100.1"), 50000);
    private static readonly IPEndPoint Mapped = new(IPAddress.Parse("203.0.113.7"), 40000);
    private static readonly IPEndPoint Peer = new(IPAddress.Parse("203.0.113.9"), 41000);
    private FakeTimeProvider _time = null!;
    private DateTimeOffset _start;

    [SetUp]
    public void NewClock()
    {
        _time = new FakeTimeProvider();
        _start = _time.GetUtcNow();
    }

    [Test]
    public async Task Allocate_answers_the_401_challenge_with_long_term_credentials()
    {
        var (allocation, link) = Create();
        var allocate = allocation.AllocateAsync(CancellationToken.None);

        var first = link.Requests().Single();
        Assert.That(first.Method, Is.EqualTo(StunMethod.Allocate));
        StunMessage.TryParse(first.Bytes, out var unsigned);
        Assert.That(unsigned.HasMessageIntegrity, Is.False, "the first Allocate carries no credentials");
        Assert.That(unsigned.TryGetUInt32(StunAttributeType.RequestedTransport, out var transport) && transport == 17u << 24, Is.True, "REQUESTED-TRANSPORT UDP");

        link.Deliver(ScriptedTurnLink.Challenge(StunMethod.Allocate, first.Id, 401, "nonce-1"));
        var second = link.Requests()[1];
        StunMessage.TryParse(second.Bytes, out var signed);
        var (user, realm, nonce, verified) = (signed.GetString(StunAttributeType.Username), signed.GetString(StunAttributeType.Realm),
            signed.GetString(StunAttributeType.Nonce), signed.VerifyMessageIntegrity(ScriptedTurnLink.Key));
        Assert.Multiple(() =>
        {
            Assert.That(second.Id, Is.Not.EqualTo(first.Id), "a new transaction");
            Assert.That(user, Is.EqualTo(ScriptedTurnLink.User));
            Assert.That(realm, Is.EqualTo(ScriptedTurnLink.Realm));
            Assert.That(nonce, Is.EqualTo("nonce-1"));
            Assert.That(verified, Is.True, "MD5(user:realm:password) key");
        });

        link.Deliver(ScriptedTurnLink.Success(StunMethod.Allocate, second.Id, lifetime: 600, relayed: Relayed, mapped: Mapped));
        Assert.That(await allocate.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo(Relayed));
        Assert.That(allocation.MappedAddress, Is.EqualTo(Mapped));
        Assert.That(allocation.Lifetime, Is.EqualTo(TimeSpan.FromSeconds(600)));
    }

    [Test]
    public void Refused_credentials_fail_the_allocation_with_the_servers_code()
    {
        var (allocation, link) = Create();
        var allocate = allocation.AllocateAsync(CancellationToken.None);
        link.Deliver(ScriptedTurnLink.Challenge(StunMethod.Allocate, link.Requests()[0].Id, 401, "n1"));
        link.Deliver(ScriptedTurnLink.Challenge(StunMethod.Allocate, link.Requests()[1].Id, 401, "n2"));

        var e = Assert.ThrowsAsync<TurnException>(() => allocate);
        Assert.That(e!.ErrorCode, Is.EqualTo(401));
        Assert.That(e.Message, Does.Contain("refused the credentials of user 'alice'"));
        Assert.That(link.Requests(), Has.Count.EqualTo(2), "no endless retry");
    }

    [Test]
    public async Task The_allocation_is_refreshed_before_it_expires_and_a_stale_nonce_is_retried()
    {
        var (allocation, link) = await AllocatedAsync(lifetime: 120);

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.That(link.Requests().Count(r => r.Method == StunMethod.Refresh), Is.Zero);
        _time.Advance(TimeSpan.FromSeconds(1));
        var refresh = link.Requests().Single(r => r.Method == StunMethod.Refresh);

        link.Deliver(ScriptedTurnLink.Challenge(StunMethod.Refresh, refresh.Id, 438, "nonce-2"));
        var retry = link.Requests().Where(r => r.Method == StunMethod.Refresh).Last();
        StunMessage.TryParse(retry.Bytes, out var msg);
        Assert.That(msg.GetString(StunAttributeType.Nonce), Is.EqualTo("nonce-2"));
        link.Deliver(ScriptedTurnLink.Success(StunMethod.Refresh, retry.Id, lifetime: 120));

        Assert.That(allocation.RefreshCount, Is.EqualTo(1));
        Assert.That(allocation.IsLost, Is.False);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.That(link.Requests().Count(r => r.Method == StunMethod.Refresh), Is.EqualTo(3), "the next refresh, 60 s later");
    }

    // Found by fuzzing (fuzz/findings/turn/): a LIFETIME beyond 49.7 days put the refresh past what a timer accepts;
    // ITimer.Change threw on the receive path, leaving the allocation without a timer (and a TCP link without its reader).
    [TestCase(uint.MaxValue)]
    [TestCase(4_300_000u)]
    public async Task A_lifetime_longer_than_a_timer_can_wait_is_kept_and_refreshed_in_steps(uint lifetime)
    {
        var (allocation, link) = await AllocatedAsync(lifetime);
        Assert.That(allocation.IsLost, Is.False);
        Assert.That(allocation.Lifetime, Is.EqualTo(TimeSpan.FromSeconds(lifetime)));

        _time.Advance(TimeSpan.FromHours(3));
        Assert.That(link.Requests().Count(r => r.Method == StunMethod.Refresh), Is.Zero, "the timer woke up and found nothing due");
        Assert.That(allocation.IsLost, Is.False);
    }

    [Test]
    public async Task A_refresh_refused_with_a_server_error_is_retried_while_the_allocation_lives_and_437_loses_it()
    {
        var (allocation, link) = await AllocatedAsync(lifetime: 120);
        _time.Advance(TimeSpan.FromSeconds(60));
        var refresh = link.Requests().Single(r => r.Method == StunMethod.Refresh);
        link.Deliver(Error(StunMethod.Refresh, refresh.Id, 500));
        Assert.That(allocation.IsLost, Is.False, "a 500 is retried");

        _time.Advance(TimeSpan.FromSeconds(5));
        var retry = link.Requests().Where(r => r.Method == StunMethod.Refresh).ToList();
        Assert.That(retry, Has.Count.EqualTo(2), "retried 5 s later");
        link.Deliver(Error(StunMethod.Refresh, retry[1].Id, 437));
        Assert.That(allocation.IsLost, Is.True, "437 Allocation Mismatch: the server no longer has it");
    }

    [Test]
    public async Task Requests_over_udp_are_retransmitted_and_time_out_with_a_clear_error()
    {
        var (allocation, link) = Create();
        var allocate = allocation.AllocateAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        _time.Advance(TimeSpan.FromMilliseconds(1000));
        Assert.That(link.Requests(), Has.Count.EqualTo(3), "0 s, 0.5 s, 1.5 s (RTO doubling)");

        for (var i = 0; i < 80 && !allocation.IsLost; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));
        }

        Assert.That(_time.GetUtcNow() - _start, Is.EqualTo(TimeSpan.FromSeconds(39.5)), "Rc = 7 transmissions, the last waited for 16 × RTO (RFC 8489 §6.2.1)");
        var e = Assert.ThrowsAsync<TurnException>(() => allocate);
        Assert.That(e!.Message, Does.Contain("did not answer"));
        Assert.That(link.Requests(), Has.Count.EqualTo(7), "Rc = 7 transmissions");
        await Task.CompletedTask;
    }

    [Test]
    public void Requests_over_tcp_are_not_retransmitted()
    {
        var (allocation, link) = Create(reliable: true);
        _ = allocation.AllocateAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.That(link.Requests(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Data_goes_as_send_indications_until_the_permission_and_channel_exist_then_as_channel_data()
    {
        var (allocation, link) = await AllocatedAsync();
        var received = new List<(byte[] Data, IPEndPoint From)>();
        allocation.Start((d, from) => received.Add((d.ToArray(), EndpointFrom(from))));
        byte[] payload = [23, 42];

        Assert.That(allocation.Send(payload, Peer.Serialize()), Is.True);
        var permission = link.Requests().Single(r => r.Method == StunMethod.CreatePermission);
        var indication = link.Sent.Last();
        StunMessage.TryParse(indication, out var send);
        Assert.That((send.Method, send.Class), Is.EqualTo((StunMethod.Send, StunMessageClass.Indication)));
        Assert.That(send.TryGetXorAddress(StunAttributeType.XorPeerAddress, out var to) && to!.Equals(Peer), Is.True);

        link.Deliver(ScriptedTurnLink.Success(StunMethod.CreatePermission, permission.Id));
        var bind = link.Requests().Single(r => r.Method == StunMethod.ChannelBind);
        StunMessage.TryParse(bind.Bytes, out var bindMsg);
        Assert.That(bindMsg.TryGetUInt32(StunAttributeType.ChannelNumber, out var number) && number >> 16 == 0x4000, Is.True);
        link.Deliver(ScriptedTurnLink.Success(StunMethod.ChannelBind, bind.Id));

        allocation.Send(payload, Peer.Serialize());
        Assert.That(link.Sent.Last(), Is.EqualTo(new byte[] { 0x40, 0x00, 0x00, 0x02, 23, 42 }), "ChannelData: channel, length, data");

        link.Deliver([0x40, 0x00, 0x00, 0x03, 20, 21, 22, 0]); // padded as over TCP
        link.Deliver(DataIndication([24, 25]));
        Assert.That(received.Select(r => (r.Data, r.From)), Is.EqualTo(new[] { (new byte[] { 20, 21, 22 }, Peer), (new byte[] { 24, 25 }, Peer) }));

        link.Deliver([0x40, 0x01, 0x00, 0x01, 9]); // an unbound channel
        Assert.That(received, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Permissions_and_channels_are_refreshed_before_they_expire()
    {
        var (allocation, link) = await AllocatedAsync(lifetime: 3600);
        allocation.Start((_, _) => { });
        allocation.Send([23], Peer.Serialize());
        link.Deliver(ScriptedTurnLink.Success(StunMethod.CreatePermission, link.Requests().Single(r => r.Method == StunMethod.CreatePermission).Id));
        link.Deliver(ScriptedTurnLink.Success(StunMethod.ChannelBind, link.Requests().Single(r => r.Method == StunMethod.ChannelBind).Id));

        _time.Advance(TimeSpan.FromSeconds(240));
        Assert.That(link.Requests().Count(r => r.Method == StunMethod.CreatePermission), Is.EqualTo(2), "permission refreshed at 240 s of 300");
        _time.Advance(TimeSpan.FromSeconds(300));
        Assert.That(link.Requests().Count(r => r.Method == StunMethod.ChannelBind), Is.EqualTo(2), "channel refreshed at 540 s of 600");
    }

    [Test]
    public async Task Dispose_deletes_the_allocation_and_a_closed_link_loses_it()
    {
        var (allocation, link) = await AllocatedAsync();
        allocation.Dispose();
        var delete = link.Requests().Last();
        StunMessage.TryParse(delete.Bytes, out var msg);
        Assert.That(delete.Method, Is.EqualTo(StunMethod.Refresh));
        Assert.That(msg.TryGetUInt32(StunAttributeType.Lifetime, out var lifetime) && lifetime == 0, Is.True);
        Assert.That(link.Disposed, Is.True);

        var (other, otherLink) = await AllocatedAsync();
        otherLink.Close(new IOException("reset"));
        Assert.That(other.IsLost, Is.True);
        Assert.That(other.Send([23], Peer.Serialize()), Is.False);
    }

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Any_bytes_from_the_server_are_handled_without_an_exception(byte[] message)
    {
        var (allocation, link) = Create();
        _ = allocation.AllocateAsync(CancellationToken.None);
        allocation.Start((_, _) => { });
        link.Deliver(message);
        var channel = (byte[])message.Clone();
        if (channel.Length >= 4)
        {
            channel[0] = 0x40; // as ChannelData too
        }

        link.Deliver(channel);
        return true.ToProperty();
    }

    private (TurnAllocation Allocation, ScriptedTurnLink Link) Create(bool reliable = false)
    {
        var link = new ScriptedTurnLink(reliable);
        var allocation = new TurnAllocation(
            new TurnServer("198.51.100.1", 3478, TurnTransport.Udp, ScriptedTurnLink.User, ScriptedTurnLink.Password), link, _time, NullLogger.Instance);
        return (allocation, link);
    }

    private async Task<(TurnAllocation Allocation, ScriptedTurnLink Link)> AllocatedAsync(uint lifetime = 600)
    {
        var (allocation, link) = Create();
        var allocate = allocation.AllocateAsync(CancellationToken.None);
        link.Deliver(ScriptedTurnLink.Challenge(StunMethod.Allocate, link.Requests()[0].Id, 401, "nonce-1"));
        link.Deliver(ScriptedTurnLink.Success(StunMethod.Allocate, link.Requests()[1].Id, lifetime: lifetime, relayed: Relayed, mapped: Mapped));
        await allocate.WaitAsync(TimeSpan.FromSeconds(5));
        return (allocation, link);
    }

    private static byte[] Error(StunMethod method, StunTransactionId id, int code)
    {
        var buffer = new byte[128];
        var w = new StunMessageWriter(buffer, method, StunMessageClass.ErrorResponse, id);
        w.AddErrorCode(code);
        w.AddMessageIntegrity(ScriptedTurnLink.Key);
        w.AddFingerprint();
        return buffer[..w.Length];
    }

    private static byte[] DataIndication(byte[] data)
    {
        var buffer = new byte[128];
        var w = new StunMessageWriter(buffer, StunMethod.Data, StunMessageClass.Indication, StunTransactionId.NewRandom());
        w.AddXorAddress(Peer, StunAttributeType.XorPeerAddress);
        w.AddAttribute(StunAttributeType.Data, data);
        return buffer[..w.Length];
    }

    private static IPEndPoint EndpointFrom(SocketAddress address) => (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(address);
}
