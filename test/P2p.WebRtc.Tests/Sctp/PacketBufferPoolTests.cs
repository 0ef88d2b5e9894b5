using P2p.WebRtc.Sctp;

namespace P2p.WebRtc.Tests.Sctp;

public class PacketBufferPoolTests
{
    [Test]
    public void Returned_buffers_are_reused_up_to_the_retention_limit()
    {
        var pool = new PacketBufferPool(1200, maxRetained: 2);
        var first = pool.Rent(1200);
        var second = pool.Rent(10);
        var third = pool.Rent(1);
        Assert.That(new[] { first.Length, second.Length, third.Length }, Is.All.EqualTo(1200));

        pool.Return(first);
        pool.Return(second);
        pool.Return(third); // beyond the limit: left to the GC
        Assert.That(pool.Count, Is.EqualTo(2));

        var again = new[] { pool.Rent(100), pool.Rent(100) };
        Assert.That(again.Count(x => ReferenceEquals(x, first) || ReferenceEquals(x, second)), Is.EqualTo(2));
        Assert.That(again[0], Is.Not.SameAs(again[1]));
        Assert.That(pool.Rent(100), Is.Not.SameAs(first).And.Not.SameAs(second));
    }

    [Test]
    public void Larger_requests_go_to_the_shared_pool_and_are_not_kept()
    {
        var pool = new PacketBufferPool(1200, maxRetained: 8);
        var big = pool.Rent(5000);
        Assert.That(big, Has.Length.GreaterThanOrEqualTo(5000));

        pool.Return(big);
        Assert.That(pool.Count, Is.Zero);
    }
}
