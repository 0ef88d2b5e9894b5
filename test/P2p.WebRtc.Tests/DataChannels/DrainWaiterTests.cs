using P2p.WebRtc.DataChannels;

namespace P2p.WebRtc.Tests.DataChannels;

/// <summary>The reusable wait behind <see cref="RtcDataChannel.SendAsync"/>'s back-pressure.</summary>
[TestFixture]
public sealed class DrainWaiterTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Test]
    public async Task A_signal_ends_the_wait_and_the_waiter_serves_the_next_one()
    {
        var waiter = new DrainWaiter();
        Assert.That(waiter.TryBegin(CancellationToken.None, out var first), Is.True);
        Assert.That(waiter.TryBegin(CancellationToken.None, out _), Is.False, "one sender at a time; another uses the shared source");

        waiter.Signal(null);
        await first.AsTask().WaitAsync(Wait);

        Assert.That(waiter.TryBegin(CancellationToken.None, out var second), Is.True);
        waiter.Signal(null);
        await second.AsTask().WaitAsync(Wait);
    }

    [Test]
    public async Task A_cancelled_or_failed_wait_throws_and_leaves_the_waiter_usable()
    {
        var waiter = new DrainWaiter();
        using var cts = new CancellationTokenSource();
        Assert.That(waiter.TryBegin(cts.Token, out var cancelled), Is.True);
        await cts.CancelAsync();
        Assert.That(async () => await cancelled.AsTask().WaitAsync(Wait), Throws.InstanceOf<OperationCanceledException>());

        Assert.That(waiter.TryBegin(cts.Token, out var alreadyCancelled), Is.True);
        Assert.That(async () => await alreadyCancelled.AsTask().WaitAsync(Wait), Throws.InstanceOf<OperationCanceledException>());

        var closed = new InvalidOperationException("closed");
        Assert.That(waiter.TryBegin(CancellationToken.None, out var failed), Is.True);
        waiter.Signal(closed);
        Assert.That(async () => await failed.AsTask().WaitAsync(Wait), Throws.Exception.SameAs(closed));
        Assert.That(waiter.TryBegin(CancellationToken.None, out _), Is.True);
    }

    [Test]
    public void A_signal_without_a_wait_does_nothing()
    {
        var waiter = new DrainWaiter();
        waiter.Signal(null);
        Assert.That(waiter.TryBegin(CancellationToken.None, out var wait), Is.True);
        Assert.That(wait.IsCompleted, Is.False);
    }

    [Test]
    public void Pausing_with_a_cancellable_token_allocates_nothing_in_the_steady_state()
    {
        var waiter = new DrainWaiter();
        using var cts = new CancellationTokenSource();
        void Cycle()
        {
            waiter.TryBegin(cts.Token, out var wait);
            waiter.Signal(null);
            wait.GetAwaiter().GetResult();
        }

        for (var i = 0; i < 100; i++)
        {
            Cycle();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Cycle();
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
