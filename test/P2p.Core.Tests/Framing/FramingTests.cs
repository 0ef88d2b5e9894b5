using FsCheck;
using FsCheck.Fluent;
using P2p.Core.Framing;

namespace P2p.Core.Tests.Framing;

#pragma warning disable NUnit1027 // FsCheck supplies the arguments of [Property] tests

public class FramingTests
{
    [Test]
    public void Header_has_the_documented_layout()
    {
        var bytes = new byte[FrameHeader.Size];
        new FrameHeader(FrameKind.Reply, Final: true, MessageId: 0x01020304, TotalLength: 0x0a0b0c0d).Write(bytes);
        Assert.That(bytes, Is.EqualTo(new byte[] { 0x13, 0x01, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d }));
        Assert.That(FrameHeader.TryRead(bytes, out var header), Is.True);
        Assert.That(header, Is.EqualTo(new FrameHeader(FrameKind.Reply, true, 0x01020304, 0x0a0b0c0d)));
    }

    [TestCase(new byte[] { 0x21, 0x01, 0, 0, 0, 0, 0, 0, 0, 0 }, TestName = "another version")]
    [TestCase(new byte[] { 0x15, 0x01, 0, 0, 0, 0, 0, 0, 0, 0 }, TestName = "an unknown kind")]
    [TestCase(new byte[] { 0x10, 0x01, 0, 0, 0, 0, 0, 0, 0, 0 }, TestName = "kind zero")]
    [TestCase(new byte[] { 0x11, 0x03, 0, 0, 0, 0, 0, 0, 0, 0 }, TestName = "unknown flags")]
    [TestCase(new byte[] { 0x11, 0x01, 0, 0, 0, 0, 0, 0, 0 }, TestName = "a truncated header")]
    public void Rejects_bad_headers(byte[] frame) => Assert.That(FrameHeader.TryRead(frame, out _), Is.False);

    [Test]
    public void An_empty_message_is_one_frame()
    {
        Assert.That(MessageFragmenter.FrameCount(0, 100), Is.EqualTo(1));
        var frame = new byte[100];
        var length = MessageFragmenter.WriteFrame(FrameKind.Broadcast, 7, [], 0, 100, frame);
        var reassembler = new MessageReassembler(1000);
        Assert.That(reassembler.Add(frame.AsSpan(0, length), out var header, out var message), Is.EqualTo(ReassemblyStatus.Complete));
        Assert.That(header.MessageId, Is.EqualTo(7));
        Assert.That(message.Length, Is.Zero);
    }

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public Property Interleaved_messages_reassemble_intact(byte[] first, byte[] second, PositiveInt frameRoom)
    {
        first ??= [];
        second ??= [];
        var maxFrame = FrameHeader.Size + 1 + (frameRoom.Get % 64);
        var framesA = Frames(FrameKind.Broadcast, 1, first, maxFrame);
        var framesB = Frames(FrameKind.Request, 1, second, maxFrame); // same id, other kind: no collision
        var reassembler = new MessageReassembler(1 << 20);
        var done = new List<(FrameKind, byte[])>();
        for (var i = 0; i < Math.Max(framesA.Count, framesB.Count); i++)
        {
            foreach (var frames in new[] { framesA, framesB })
            {
                if (i < frames.Count && reassembler.Add(frames[i], out var header, out var message) == ReassemblyStatus.Complete)
                {
                    done.Add((header.Kind, message.ToArray()));
                }
            }
        }

        return (done.Count == 2
            && done.Single(d => d.Item1 == FrameKind.Broadcast).Item2.SequenceEqual(first)
            && done.Single(d => d.Item1 == FrameKind.Request).Item2.SequenceEqual(second)).ToProperty();
    }

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public Property AddOwned_agrees_with_Add_on_any_frames(byte[] first, byte[] second, PositiveInt frameRoom, PositiveInt limit)
    {
        first ??= [];
        second ??= [];
        var maxFrame = FrameHeader.Size + 1 + (frameRoom.Get % 64);
        var frames = Frames(FrameKind.Broadcast, 1, first, maxFrame).Concat(Frames(FrameKind.Broadcast, 1, second, 1 << 16)).ToList();
        var copying = new MessageReassembler(limit.Get % 300);
        var owning = new MessageReassembler(limit.Get % 300);
        return frames.All(frame =>
        {
            var expected = copying.Add(frame, out var expectedHeader, out var expectedMessage);
            var actual = owning.AddOwned(frame, out var actualHeader, out var actualMessage);
            return expected == actual && expectedHeader == actualHeader && expectedMessage.Span.SequenceEqual(actualMessage.Span);
        }).ToProperty();
    }

    [Test]
    public void AddOwned_hands_back_a_message_of_one_frame_as_a_slice_of_that_frame()
    {
        var frame = Frames(FrameKind.Request, 3, [1, 2, 3], 100).Single();
        var reassembler = new MessageReassembler(1000);

        Assert.That(reassembler.AddOwned(frame, out var header, out var message), Is.EqualTo(ReassemblyStatus.Complete));

        Assert.That(header.MessageId, Is.EqualTo(3));
        Assert.That(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(message, out var segment), Is.True);
        Assert.That(segment.Array, Is.SameAs(frame), "no copy");
        Assert.That(message.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [FsCheck.NUnit.Property]
    public Property Garbage_never_throws(byte[] garbage)
    {
        var reassembler = new MessageReassembler(1 << 16);
        reassembler.Add(garbage ?? [], out _, out _);
        return true.ToProperty();
    }

    [Test]
    public void An_over_large_message_is_refused_with_all_its_fragments()
    {
        var big = new byte[1000];
        var frames = Frames(FrameKind.Broadcast, 9, big, 110);
        var reassembler = new MessageReassembler(999);
        Assert.That(frames.Select(f => reassembler.Add(f, out _, out _)), Is.All.EqualTo(ReassemblyStatus.TooLarge));

        // The channel keeps working afterwards.
        var small = Frames(FrameKind.Broadcast, 10, [1, 2, 3], 110).Single();
        Assert.That(reassembler.Add(small, out _, out var message), Is.EqualTo(ReassemblyStatus.Complete));
        Assert.That(message.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public void Fragments_that_overrun_their_total_are_malformed()
    {
        var frames = Frames(FrameKind.Broadcast, 1, new byte[50], 30);
        var reassembler = new MessageReassembler(1000);
        Assert.That(reassembler.Add(frames[0], out _, out _), Is.EqualTo(ReassemblyStatus.Incomplete));
        Assert.That(reassembler.Add(frames[1], out _, out _), Is.EqualTo(ReassemblyStatus.Incomplete));
        Assert.That(reassembler.Add(frames[1], out _, out _), Is.EqualTo(ReassemblyStatus.Malformed), "a repeated fragment overruns the total");
    }

    [Test]
    public void A_final_fragment_before_the_total_is_malformed()
    {
        var frames = Frames(FrameKind.Broadcast, 1, new byte[50], 30);
        var reassembler = new MessageReassembler(1000);
        reassembler.Add(frames[0], out _, out _);
        var last = frames[^1];
        Assert.That(reassembler.Add(last, out _, out _), Is.EqualTo(ReassemblyStatus.Malformed));
    }

    [Test]
    public void Inconsistent_total_lengths_are_malformed()
    {
        var frames = Frames(FrameKind.Broadcast, 1, new byte[50], 30);
        var reassembler = new MessageReassembler(1000);
        reassembler.Add(frames[0], out _, out _);
        var other = Frames(FrameKind.Broadcast, 1, new byte[60], 30);
        Assert.That(reassembler.Add(other[1], out _, out _), Is.EqualTo(ReassemblyStatus.Malformed));
    }

    [Test]
    public void Partial_messages_are_bounded()
    {
        var reassembler = new MessageReassembler(1000, maxPartialMessages: 2);
        for (uint id = 0; id < 2; id++)
        {
            Assert.That(reassembler.Add(Frames(FrameKind.Broadcast, id, new byte[50], 30)[0], out _, out _), Is.EqualTo(ReassemblyStatus.Incomplete));
        }

        Assert.That(reassembler.Add(Frames(FrameKind.Broadcast, 2, new byte[50], 30)[0], out _, out _), Is.EqualTo(ReassemblyStatus.TooManyPartialMessages));
    }

    [Test]
    public void Frame_size_must_exceed_the_header() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MessageFragmenter.FrameCount(10, FrameHeader.Size));

    private static List<byte[]> Frames(FrameKind kind, uint id, byte[] message, int maxFrame)
    {
        var frames = new List<byte[]>();
        for (var i = 0; i < MessageFragmenter.FrameCount(message.Length, maxFrame); i++)
        {
            var buffer = new byte[maxFrame];
            var length = MessageFragmenter.WriteFrame(kind, id, message, i, maxFrame, buffer);
            Assert.That(length, Is.LessThanOrEqualTo(maxFrame));
            frames.Add(buffer[..length]);
        }

        return frames;
    }
}
