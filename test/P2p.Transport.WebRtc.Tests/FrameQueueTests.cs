using P2p.WebRtc.DataChannels;

namespace P2p.Transport.WebRtc.Tests;

/// <summary>The queue between a data channel's deliveries and the group's receive loop.</summary>
[TestFixture]
public class FrameQueueTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Frames_come_out_in_order_each_in_an_array_of_its_own_and_reading_one_ends_its_lease()
    {
        var queue = new FrameQueue();
        var buffer = new byte[] { 1, 2, 3, 4 };
        var first = Lease(buffer.AsMemory(0, 2));
        var second = Lease(buffer.AsMemory(2, 2));
        var waiting = queue.WaitToReadAsync(CancellationToken.None);
        Assert.That(waiting.IsCompleted, Is.False);

        Assert.That(queue.TryWrite(first), Is.True);
        Assert.That(queue.TryWrite(second), Is.True);

        Assert.That(await waiting.AsTask().WaitAsync(Wait), Is.True);
        Assert.That(queue.Count, Is.EqualTo(2));
        Assert.That(queue.TryPeek(out var peeked), Is.True);
        Assert.That(peeked.ToArray(), Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(queue.TryRead(out var a), Is.True);
        Assert.That(first.IsActive, Is.False, "read: the window is given back");
        Assert.That(second.IsActive, Is.True, "not read yet: still counted against the window");
        Assert.That(queue.TryRead(out var b), Is.True);
        Assert.That(queue.TryRead(out _), Is.False);
        buffer.AsSpan().Clear();
        Assert.That((a.ToArray(), b.ToArray()), Is.EqualTo((new byte[] { 1, 2 }, new byte[] { 3, 4 })), "copies, not views of the lent buffer");
    }

    [Test]
    public async Task A_cancelled_wait_throws_and_the_next_wait_still_works()
    {
        var queue = new FrameQueue();
        using var cts = new CancellationTokenSource();
        var waiting = queue.WaitToReadAsync(cts.Token).AsTask();

        await cts.CancelAsync();

        Assert.That(async () => await waiting.WaitAsync(Wait), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(queue.WaitToReadAsync(cts.Token).AsTask().IsCanceled, Is.True, "an already cancelled token");
        var next = queue.WaitToReadAsync(CancellationToken.None);
        queue.TryWrite(Lease(new byte[] { 9 }));
        Assert.That(await next.AsTask().WaitAsync(Wait), Is.True);
    }

    [Test]
    public async Task Completion_comes_after_the_last_frame_was_read()
    {
        var queue = new FrameQueue();
        queue.TryWrite(Lease(new byte[] { 1 }));

        queue.Complete(null);

        var late = Lease(new byte[] { 2 });
        Assert.That(queue.TryWrite(late), Is.False, "nothing is queued after completion: the caller disposes it");
        late.Dispose();
        Assert.That(queue.Completion.IsCompleted, Is.False);
        Assert.That(await queue.WaitToReadAsync(CancellationToken.None), Is.True);
        Assert.That(queue.TryRead(out _), Is.True);
        Assert.That(await queue.WaitToReadAsync(CancellationToken.None), Is.False);
        await queue.Completion.WaitAsync(Wait);
    }

    [Test]
    public async Task A_failure_ends_a_pending_wait_with_the_failure_itself()
    {
        var queue = new FrameQueue();
        var waiting = queue.WaitToReadAsync(CancellationToken.None).AsTask();
        var failure = new InvalidOperationException("the channel failed");

        queue.Complete(failure);

        Assert.That(async () => await waiting.WaitAsync(Wait), Throws.Exception.SameAs(failure));
        Assert.That(async () => await queue.WaitToReadAsync(CancellationToken.None), Throws.Exception.SameAs(failure));
        Assert.That(async () => await queue.Completion.WaitAsync(Wait), Throws.Exception.SameAs(failure));
    }

    [Test]
    public void Waiting_with_a_cancellable_token_allocates_nothing_in_the_steady_state()
    {
        var queue = new FrameQueue();
        using var cts = new CancellationTokenSource();
        void Cycle()
        {
            var waiting = queue.WaitToReadAsync(cts.Token);
            queue.TryWrite(Lease(ReadOnlyMemory<byte>.Empty));
            _ = waiting.Result;
            queue.TryRead(out _);
        }

        for (var i = 0; i < 100; i++)
        {
            Cycle(); // warm: registration nodes, pooled leases
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Cycle();
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    private static RtcDataChannelMessageLease Lease(ReadOnlyMemory<byte> data) => LeasedMessage.Lease(false, data, null, pooled: false, default);
}
