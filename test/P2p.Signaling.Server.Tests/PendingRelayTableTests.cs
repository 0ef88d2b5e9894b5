using Moq;
using P2p.Signaling.Server.Routing;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server.Tests;

public class PendingRelayTableTests
{
    private static readonly ISignalingPeer Caller = new Mock<ISignalingPeer>().Object;

    [Test]
    public void An_answered_relay_is_removed_once()
    {
        var table = new PendingRelayTable();
        var id = table.NextId();
        Assert.That(table.TryAdd(id, new PendingRelay(Caller, RequestId.FromNumber(7)), deadline: 100), Is.True);

        Assert.That(table.TryComplete(RequestId.FromNumber(id), out var relay), Is.True);
        Assert.That(relay.CallerRequestId, Is.EqualTo(RequestId.FromNumber(7)));
        Assert.That(table.TryComplete(RequestId.FromNumber(id), out _), Is.False, "a second answer matches nothing");
        Assert.That(table.Count, Is.Zero);
    }

    [Test]
    public void An_answer_under_an_unknown_or_non_numeric_id_matches_nothing()
    {
        var table = new PendingRelayTable();
        table.TryAdd(table.NextId(), new PendingRelay(Caller, RequestId.FromNumber(1)), deadline: 100);

        Assert.That(table.TryComplete(RequestId.FromNumber(99), out _), Is.False);
        Assert.That(table.TryComplete(RequestId.Null, out _), Is.False);
        Assert.That(table.Count, Is.EqualTo(1));
    }

    [Test]
    public void Relays_expire_in_deadline_order_and_answered_ones_never_expire()
    {
        var table = new PendingRelayTable();
        var first = table.NextId();
        var second = table.NextId();
        var third = table.NextId();
        table.TryAdd(first, new PendingRelay(Caller, RequestId.FromNumber(1)), deadline: 10);
        table.TryAdd(second, new PendingRelay(Caller, RequestId.FromNumber(2)), deadline: 20);
        table.TryAdd(third, new PendingRelay(Caller, RequestId.FromNumber(3)), deadline: 30);
        table.TryComplete(RequestId.FromNumber(first), out _);

        Assert.That(table.RemoveExpired(now: 9), Is.Null);
        Assert.That(table.RemoveExpired(now: 20)!.Select(r => r.CallerRequestId), Is.EqualTo(new[] { RequestId.FromNumber(2) }));
        Assert.That(table.RemoveExpired(now: 29), Is.Null);
        Assert.That(table.RemoveExpired(now: 1000)!.Select(r => r.CallerRequestId), Is.EqualTo(new[] { RequestId.FromNumber(3) }));
        Assert.That(table.Count, Is.Zero);
    }

    [Test]
    public void Close_returns_the_waiting_relays_and_refuses_new_ones()
    {
        var table = new PendingRelayTable();
        table.TryAdd(table.NextId(), new PendingRelay(Caller, RequestId.FromNumber(1)), deadline: 10);
        table.TryAdd(table.NextId(), new PendingRelay(Caller, RequestId.FromNumber(2)), deadline: 10);

        Assert.That(table.Close(), Has.Count.EqualTo(2));
        Assert.That(table.IsOpen, Is.False);
        Assert.That(table.TryAdd(table.NextId(), new PendingRelay(Caller, RequestId.FromNumber(3)), deadline: 10), Is.False);
        Assert.That(table.RemoveExpired(now: 1000), Is.Null);
    }
}
