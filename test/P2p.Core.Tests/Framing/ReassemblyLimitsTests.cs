using P2p.Core.Framing;
using P2p.Core.Routing;

namespace P2p.Core.Tests.Framing;

/// <summary>
/// Issue 19: what a peer's frames make the receiver hold is bounded by the bytes it sent, not by the lengths its
/// headers announce, and the table of partly received messages has a fixed size whatever the messages.
/// </summary>
public sealed class ReassemblyLimitsTests
{
    private const uint Announced = 16 * 1024 * 1024;

    [Test]
    public void A_first_fragment_announcing_a_large_message_reserves_no_more_than_the_initial_capacity()
    {
        var reassembler = new MessageReassembler(Announced);
        var frame = Frame(FrameKind.Broadcast, final: false, id: 1, Announced, [1, 2, 3, 4]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.That(reassembler.Add(frame, out _, out _), Is.EqualTo(ReassemblyStatus.Incomplete));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.LessThan(FragmentBuffer.InitialCapacity + 4096));
    }

    [Test]
    public void A_relayed_first_fragment_announcing_a_large_message_reserves_no_more_than_the_initial_capacity()
    {
        var inbox = new RelayedInbox((int)Announced);
        var header = new FrameHeader(FrameKind.Broadcast, false, 1, Announced);

        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.That(inbox.Add(1, 0, header, [1, 2, 3, 4], out _), Is.EqualTo(ReassemblyStatus.Incomplete));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.LessThan(FragmentBuffer.InitialCapacity + 4096));
    }

    [Test]
    public void A_buffer_grows_with_the_bytes_received_and_ends_exactly_the_message_length()
    {
        const uint total = (3 * FragmentBuffer.InitialCapacity) + 5;
        var buffer = new FragmentBuffer(total);
        var chunk = new byte[1000];
        var sent = 0;
        while (sent < total)
        {
            var n = (int)Math.Min(chunk.Length, total - sent);
            Array.Fill(chunk, (byte)(sent / 1000));
            buffer.Append(chunk.AsSpan(0, n));
            sent += n;
            Assert.That(buffer.Capacity, Is.LessThanOrEqualTo(Math.Max(FragmentBuffer.InitialCapacity, 2 * sent)));
        }

        var message = buffer.ToMessage();
        Assert.That(message, Has.Length.EqualTo(total));
        Assert.That(message[123_456], Is.EqualTo((byte)123));
    }

    [Test]
    public void A_large_message_in_many_fragments_reassembles_intact()
    {
        var message = new byte[(5 * FragmentBuffer.InitialCapacity) + 17];
        new Random(19).NextBytes(message);
        var reassembler = new MessageReassembler(message.Length);
        const int room = 1200;
        var status = ReassemblyStatus.Incomplete;
        ReadOnlyMemory<byte> result = default;
        for (var offset = 0; offset < message.Length; offset += room)
        {
            var n = Math.Min(room, message.Length - offset);
            var final = offset + n == message.Length;
            status = reassembler.Add(Frame(FrameKind.Request, final, 9, (uint)message.Length, message.AsSpan(offset, n)), out _, out result);
        }

        Assert.That(status, Is.EqualTo(ReassemblyStatus.Complete));
        Assert.That(result.ToArray(), Is.EqualTo(message));
    }

    [Test]
    public void A_large_message_still_costs_one_allocation_of_its_size()
    {
        var message = new byte[1 << 20];
        var frames = new List<byte[]>();
        const int room = 64 * 1024;
        for (var offset = 0; offset < message.Length; offset += room)
        {
            var n = Math.Min(room, message.Length - offset);
            frames.Add(Frame(FrameKind.Broadcast, offset + n == message.Length, 3, (uint)message.Length, message.AsSpan(offset, n)));
        }

        var reassembler = new MessageReassembler(message.Length);
        Reassemble(); // the growing buffers come from the shared pool, filled once
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = Reassemble();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(result, Has.Length.EqualTo(message.Length));
        Assert.That(allocated, Is.LessThan(message.Length + (64 * 1024)));

        ReadOnlyMemory<byte> Reassemble()
        {
            ReadOnlyMemory<byte> done = default;
            foreach (var frame in frames)
            {
                _ = reassembler.Add(frame, out _, out done);
            }

            return done;
        }
    }

    [Test]
    public void Over_large_messages_count_against_the_partial_message_limit()
    {
        var reassembler = new MessageReassembler(100, maxPartialMessages: 2);
        for (uint id = 1; id <= 1000; id++)
        {
            Assert.That(reassembler.Add(Frame(FrameKind.Broadcast, false, id, 1000, [1]), out _, out _), Is.EqualTo(ReassemblyStatus.TooLarge));
        }

        Assert.That(reassembler.PartialMessageCount, Is.EqualTo(2));

        // Beyond the limit an over-large message is still reported TooLarge at its final fragment (so a request is answered).
        Assert.That(reassembler.Add(Frame(FrameKind.Request, true, 500, 1000, [1]), out var header, out _), Is.EqualTo(ReassemblyStatus.TooLarge));
        Assert.That(header.Final, Is.True);
    }

    private static byte[] Frame(FrameKind kind, bool final, uint id, uint total, ReadOnlySpan<byte> fragment)
    {
        var frame = new byte[FrameHeader.Size + fragment.Length];
        new FrameHeader(kind, final, id, total).Write(frame);
        fragment.CopyTo(frame.AsSpan(FrameHeader.Size));
        return frame;
    }
}
