using System.Runtime.InteropServices;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Sctp;

namespace P2p.WebRtc.Tests.DataChannels;

/// <summary>
/// <see cref="RtcDataChannelMessageLease"/> on its own and at a channel: disposing is idempotent and a stale copy can
/// neither read nor end a later message that reuses the same object; held messages and the array API keep working.
/// </summary>
public class MessageLeaseTests
{
    [Test]
    public void A_lease_disposed_twice_gives_its_buffer_back_once_and_a_stale_copy_cannot_touch_the_next_message()
    {
        var first = Lease("first"u8);
        var copy = first;
        Assert.That(first.Text, Is.EqualTo("first"));

        first.Dispose();
        first.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(first.IsActive, Is.False);
            Assert.That(copy.IsActive, Is.False, "a copy ends with the lease");
            Assert.Throws<ObjectDisposedException>(() => _ = copy.Data);
            Assert.Throws<ObjectDisposedException>(() => _ = copy.IsText);
        });

        // The recycled object now carries another message: the old copies must leave it alone.
        var second = Lease("second"u8);
        copy.Dispose();
        first.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(second.IsActive, Is.True);
            Assert.That(second.Text, Is.EqualTo("second"));
            Assert.That(second, Is.Not.EqualTo(first));
        });
        second.Dispose();
    }

    [Test]
    public void The_default_lease_is_empty_and_disposing_it_does_nothing()
    {
        var lease = default(RtcDataChannelMessageLease);
        Assert.Multiple(() =>
        {
            Assert.That(lease.Data.IsEmpty, Is.True);
            Assert.That(lease.IsText, Is.False);
            Assert.That(lease.IsActive, Is.False);
        });
        lease.Dispose();
    }

    [Test]
    public void Messages_held_before_any_handler_reach_a_first_pooled_handler_in_order()
    {
        var channel = new RtcDataChannel("c", new RtcDataChannelInit(), 1);
        channel.OnMessage(DataChannelPpid.String, "one"u8.ToArray());
        channel.OnMessage(DataChannelPpid.Binary, new byte[] { 2, 2 });
        channel.OnMessage(DataChannelPpid.BinaryEmpty, new byte[] { 0 });

        var received = new List<string>();
        channel.PooledMessageReceived += (_, m) =>
        {
            received.Add(m.IsText ? "text:" + m.Text : "binary:" + m.Data.Length);
            m.Dispose();
        };
        Assert.That(received, Is.EqualTo(new[] { "text:one", "binary:2", "binary:0" }));
    }

    [Test]
    public void With_both_kinds_of_handler_the_array_handler_gets_a_copy_that_outlives_the_lease()
    {
        var channel = new RtcDataChannel("c", new RtcDataChannelInit(), 1);
        RtcDataChannelMessageEventArgs? array = null;
        var leased = 0;
        channel.MessageReceived += (_, e) => array = e;
        channel.PooledMessageReceived += (_, m) =>
        {
            leased++;
            m.Dispose();
        };

        var buffer = MessageBufferPool.Shared.Rent(5);
        "hello"u8.CopyTo(buffer);
        Assert.That(channel.OnMessage(DataChannelPpid.String, buffer.AsMemory(0, 5), buffer, null, out var kept), Is.True);
        Assert.That(kept, Is.True, "the lease took the pooled buffer");

        // The disposed lease's buffer may be reused at once: overwrite it as the next message would.
        buffer.AsSpan().Clear();
        Assert.Multiple(() =>
        {
            Assert.That(leased, Is.EqualTo(1));
            Assert.That(array!.Text, Is.EqualTo("hello"));
            Assert.That(MemoryMarshal.TryGetArray(array.Data, out var segment) && !ReferenceEquals(segment.Array, buffer), Is.True);
            Assert.That(array.DeferConsumption().Bytes, Is.Zero, "the lease holds the window; the array handler's credit is empty");
        });
    }

    [Test]
    public void With_only_an_array_handler_the_pooled_buffer_is_not_kept_and_the_handler_owns_a_copy()
    {
        var channel = new RtcDataChannel("c", new RtcDataChannelInit(), 1);
        RtcDataChannelMessageEventArgs? array = null;
        channel.MessageReceived += (_, e) => array = e;

        var buffer = MessageBufferPool.Shared.Rent(3);
        new byte[] { 7, 8, 9 }.CopyTo(buffer, 0);
        channel.OnMessage(DataChannelPpid.Binary, buffer.AsMemory(0, 3), buffer, null, out var kept);
        buffer.AsSpan().Clear();
        Assert.Multiple(() =>
        {
            Assert.That(kept, Is.False, "the caller returns the buffer");
            Assert.That(array!.Data.ToArray(), Is.EqualTo(new byte[] { 7, 8, 9 }));
        });
        MessageBufferPool.Shared.Return(buffer);
    }

    private static RtcDataChannelMessageLease Lease(ReadOnlySpan<byte> text)
    {
        var buffer = MessageBufferPool.Shared.Rent(text.Length);
        text.CopyTo(buffer);
        return LeasedMessage.Lease(isText: true, buffer.AsMemory(0, text.Length), buffer, pooled: true, default(SctpReceiveCredit));
    }
}
