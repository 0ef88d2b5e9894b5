using System.Buffers.Binary;
using P2p.Core.Framing;
using P2p.Core.Routing;

namespace P2p.Core.Tests.Routing;

/// <summary>The route frame's bytes (docs/protocol.md, "Relayed members (extension)").</summary>
public sealed class RouteFrameTests
{
    [Test]
    public void A_probe_is_laid_out_as_documented_and_reads_back()
    {
        var frame = RouteFrame.Create(RouteFrameType.Probe, false, "a", "bc", 0x01020304, [9, 8]);

        Assert.That(frame, Is.EqualTo(new byte[] { 0x16, 3, 0, 0, 1, (byte)'a', 2, (byte)'b', (byte)'c', 1, 2, 3, 4, 0, 2, 9, 8 }));
        Assert.That(RouteFrame.TryRead(frame, out var route, out _), Is.True);
        Assert.That((route.Type, route.Forwarded, route.Origin, route.Destination), Is.EqualTo((RouteFrameType.Probe, false, "a", "bc")));
        Assert.That(route.TryReadNumberAndField(out var id, out var field), Is.True);
        Assert.That(id, Is.EqualTo(0x01020304u));
        Assert.That(field.ToArray(), Is.EqualTo(new byte[] { 9, 8 }));
    }

    [Test]
    public void An_unreachable_frame_carries_its_reference_and_reason()
    {
        var frame = RouteFrame.CreateUnreachable(true, "b", "a", 7, UnreachableReason.BadSignature);

        Assert.That(frame[2], Is.EqualTo(RouteFrame.ForwardedFlag));
        Assert.That(RouteFrame.TryRead(frame, out var route, out _), Is.True);
        Assert.That(route.TryReadUnreachable(out var reference, out var reason), Is.True);
        Assert.That((reference, reason), Is.EqualTo((7u, UnreachableReason.BadSignature)));
    }

    [Test]
    public void A_data_frame_carries_seq_offset_signature_and_a_message_frame()
    {
        var signature = new byte[64];
        signature[0] = 0xAA;
        var frame = Data("o", "d", seq: 5, offset: 100, signature, new FrameHeader(FrameKind.Request, true, 42, 103), [1, 2, 3]);

        Assert.That(RouteFrame.TryRead(frame, out var route, out _), Is.True);
        Assert.That(route.TryReadData(out var seq, out var offset, out var sig, out var header, out var fragment), Is.True);
        Assert.That((seq, offset, header), Is.EqualTo((5u, 100u, new FrameHeader(FrameKind.Request, true, 42, 103))));
        Assert.That(sig.ToArray(), Is.EqualTo(signature));
        Assert.That(fragment.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [TestCase(new byte[] { 0x16, 3, 0, 0, 1 }, TestName = "Too_short")]
    [TestCase(new byte[] { 0x16, 9, 0, 0, 1, 0x61, 1, 0x62 }, TestName = "Unknown_type")]
    [TestCase(new byte[] { 0x16, 3, 2, 0, 1, 0x61, 1, 0x62 }, TestName = "Unknown_flag")]
    [TestCase(new byte[] { 0x16, 3, 0, 1, 1, 0x61, 1, 0x62 }, TestName = "Reserved_byte_set")]
    [TestCase(new byte[] { 0x16, 3, 0, 0, 0, 1, 0x62 }, TestName = "Empty_origin")]
    [TestCase(new byte[] { 0x16, 3, 0, 0, 1, 0x61, 5, 0x62 }, TestName = "Destination_runs_past_the_frame")]
    [TestCase(new byte[] { 0x16, 3, 0, 0, 1, 0xFF, 1, 0x62 }, TestName = "Origin_not_UTF8")]
    [TestCase(new byte[] { 0x26, 3, 0, 0, 1, 0x61, 1, 0x62 }, TestName = "Other_version")]
    public void A_malformed_header_is_refused_without_throwing(byte[] frame) =>
        Assert.That(RouteFrame.TryRead(frame, out _, out var problem), Is.False, problem);

    [Test]
    public void Bodies_that_do_not_match_their_type_are_refused()
    {
        var probe = RouteFrame.Create(RouteFrameType.Probe, false, "a", "b", 1, [1, 2]);
        Assert.That(RouteFrame.TryRead(probe.AsSpan(0, probe.Length - 1), out var cut, out _) && cut.TryReadNumberAndField(out _, out _), Is.False, "a field running past the frame");
        Assert.That(RouteFrame.TryRead([.. probe, 0], out var trailing, out _) && trailing.TryReadNumberAndField(out _, out _), Is.False, "trailing bytes");
        var unreachable = RouteFrame.CreateUnreachable(false, "a", "b", 1, UnreachableReason.NoRoute);
        unreachable[^1] = 9;
        Assert.That(RouteFrame.TryRead(unreachable, out var badReason, out _) && badReason.TryReadUnreachable(out _, out _), Is.False, "an unknown reason");
        var overlong = Data("a", "b", 1, offset: 10, [], new FrameHeader(FrameKind.Broadcast, true, 1, 12), [1, 2, 3]);
        Assert.That(RouteFrame.TryRead(overlong, out var past, out _) && past.TryReadData(out _, out _, out _, out _, out _), Is.False, "a fragment past the total length");
        var notAMessage = Data("a", "b", 1, 0, [], new FrameHeader(FrameKind.Broadcast, true, 1, 3), [1, 2, 3]);
        notAMessage[^(3 + FrameHeader.Size)] = 0x15; // an Identity frame inside
        Assert.That(RouteFrame.TryRead(notAMessage, out var inner, out _) && inner.TryReadData(out _, out _, out _, out _, out _), Is.False, "not a message frame inside");
    }

    [Test]
    public void Member_ids_longer_than_255_bytes_cannot_be_written() =>
        Assert.That(() => RouteFrame.Create(RouteFrameType.Ack, false, new string('x', 256), "b", 1, []), Throws.ArgumentException);

    /// <summary>A Data frame as the documentation lays it out.</summary>
    internal static byte[] Data(string origin, string destination, uint seq, uint offset, byte[] signature, FrameHeader header, byte[] fragment)
    {
        var frame = new byte[RouteFrame.HeaderSize(origin, destination) + RouteFrame.DataPrefixSize + signature.Length + FrameHeader.Size + fragment.Length];
        var at = RouteFrame.WriteHeader(frame, RouteFrameType.Data, false, origin, destination);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(at), seq);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(at + 4), offset);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at + 8), (ushort)signature.Length);
        at += RouteFrame.DataPrefixSize;
        signature.CopyTo(frame, at);
        at += signature.Length;
        header.Write(frame.AsSpan(at));
        fragment.CopyTo(frame, at + FrameHeader.Size);
        return frame;
    }
}
