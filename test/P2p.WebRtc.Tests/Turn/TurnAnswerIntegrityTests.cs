using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Turn;

namespace P2p.WebRtc.Tests.Turn;

/// <summary>
/// Answers to the client's signed requests must be signed with the same key (RFC 8489 §9.2.5): one without
/// MESSAGE-INTEGRITY, or with another key's, is a forgery: dropped over UDP, a failure over TCP.
/// </summary>
public class TurnAnswerIntegrityTests
{
    private static readonly IPEndPoint Relayed = new(IPAddress.Parse("198.51.100.1"), 50000);
    private static readonly IPEndPoint Forged = new(IPAddress.Parse("203.0.113.66"), 6666);
    private FakeTimeProvider _time = null!;

    [SetUp]
    public void NewClock() => _time = new FakeTimeProvider();

    [TestCase(false, TestName = "An_unsigned_answer_over_udp_is_dropped_and_the_signed_one_that_follows_is_taken")]
    [TestCase(true, TestName = "An_answer_signed_with_another_key_over_udp_is_dropped_and_the_signed_one_that_follows_is_taken")]
    public async Task Forged_answers_over_udp_are_dropped(bool otherKey)
    {
        var (allocation, link) = Create(reliable: false);
        var allocate = allocation.AllocateAsync(CancellationToken.None);
        link.Deliver(ScriptedTurnLink.Challenge(StunMethod.Allocate, link.Requests()[0].Id, 401, "nonce-1"));
        var signedRequest = link.Requests()[1].Id;

        var forgery = otherKey
            ? ScriptedTurnLink.Success(StunMethod.Allocate, signedRequest, lifetime: 600, relayed: Forged, key: StunCredentials.LongTermKey("mallory", ScriptedTurnLink.Realm, "x"))
            : ScriptedTurnLink.Success(StunMethod.Allocate, signedRequest, lifetime: 600, relayed: Forged, signed: false);
        link.Deliver(forgery);
        Assert.That(allocate.IsCompleted, Is.False, "the forgery is not taken");

        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.That(link.Requests(), Has.Count.EqualTo(3), "the request is re-sent as if no answer came");
        link.Deliver(ScriptedTurnLink.Success(StunMethod.Allocate, signedRequest, lifetime: 600, relayed: Relayed));
        Assert.That(await allocate.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo(Relayed));
    }

    [Test]
    public void An_unsigned_error_answer_over_udp_is_dropped_too()
    {
        var (allocation, link) = Create(reliable: false);
        var allocate = allocation.AllocateAsync(CancellationToken.None);
        link.Deliver(ScriptedTurnLink.Challenge(StunMethod.Allocate, link.Requests()[0].Id, 401, "nonce-1"));
        link.Deliver(UnsignedError(StunMethod.Allocate, link.Requests()[1].Id, StunErrorCodes.AllocationQuotaReached));

        Assert.That(allocate.IsCompleted, Is.False, "a forged 486 does not end the allocation");
    }

    [Test]
    public void An_unsigned_answer_over_tcp_fails_the_request_with_a_clear_error()
    {
        var (allocation, link) = Create(reliable: true);
        var allocate = allocation.AllocateAsync(CancellationToken.None);
        link.Deliver(ScriptedTurnLink.Challenge(StunMethod.Allocate, link.Requests()[0].Id, 401, "nonce-1"));
        link.Deliver(ScriptedTurnLink.Success(StunMethod.Allocate, link.Requests()[1].Id, lifetime: 600, relayed: Forged, signed: false));

        var e = Assert.ThrowsAsync<TurnException>(() => allocate);
        Assert.That(e!.Message, Does.Contain("without valid MESSAGE-INTEGRITY"));
    }

    [Test]
    public async Task A_stale_nonce_challenge_to_a_signed_request_needs_no_integrity()
    {
        var (allocation, link) = Create(reliable: false);
        var allocate = allocation.AllocateAsync(CancellationToken.None);
        link.Deliver(ScriptedTurnLink.Challenge(StunMethod.Allocate, link.Requests()[0].Id, 401, "nonce-1"));
        link.Deliver(ScriptedTurnLink.Challenge(StunMethod.Allocate, link.Requests()[1].Id, 438, "nonce-2"));

        var retry = link.Requests()[2];
        StunMessage.TryParse(retry.Bytes, out var message);
        Assert.That(message.GetString(StunAttributeType.Nonce), Is.EqualTo("nonce-2"));
        link.Deliver(ScriptedTurnLink.Success(StunMethod.Allocate, retry.Id, lifetime: 600, relayed: Relayed));
        Assert.That(await allocate.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo(Relayed));
    }

    private (TurnAllocation Allocation, ScriptedTurnLink Link) Create(bool reliable)
    {
        var link = new ScriptedTurnLink(reliable);
        var allocation = new TurnAllocation(
            new TurnServer("198.51.100.1", 3478, reliable ? TurnTransport.Tcp : TurnTransport.Udp, ScriptedTurnLink.User, ScriptedTurnLink.Password), link, _time, NullLogger.Instance);
        return (allocation, link);
    }

    private static byte[] UnsignedError(StunMethod method, StunTransactionId id, int code)
    {
        var buffer = new byte[128];
        var w = new StunMessageWriter(buffer, method, StunMessageClass.ErrorResponse, id);
        w.AddErrorCode(code);
        w.AddFingerprint();
        return buffer[..w.Length];
    }
}
