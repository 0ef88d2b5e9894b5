using System.Buffers.Binary;
using P2p.Core;
using P2p.Core.Framing;
using P2p.Core.Messaging;
using P2p.Core.Routing;
using P2p.Core.Transfers;
using P2p.Fuzzing.Support;

namespace P2p.Fuzzing.Seeds;

/// <summary>What one link carries, as P2p.Core writes it: fragmented messages, an error reply, a stream chunk, route frames.</summary>
internal static class GroupFramingSeeds
{
    private const string Origin = "0123456789abcdef0123456789abcdef";
    private const string Destination = "fedcba9876543210fedcba9876543210";

    public static IEnumerable<Seed> All()
    {
        var message = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        yield return new("broadcast-fragmented", FuzzInput.Join(Fragments(FrameKind.Broadcast, 7, message, 128)));
        yield return new("request-reply-error", FuzzInput.Join(
            [.. Fragments(FrameKind.Request, 1, "ping"u8.ToArray(), 1024), .. Fragments(FrameKind.Reply, 1, "pong"u8.ToArray(), 1024),
             .. Fragments(FrameKind.Error, 2, ErrorPayload.Encode(GroupErrorCode.HandlerFailed, "boom"), 1024)]));
        var chunk = new byte[TransferChunk.MaxHeaderSize + 16];
        var header = TransferChunk.WriteHeader(chunk, new Guid("11111111-2222-3333-4444-555555555555"), 0, first: true, final: true, "file.bin", 16);
        yield return new("stream-chunk", FuzzInput.Join(Fragments(FrameKind.Request, 3, chunk.AsSpan(0, header + 16).ToArray(), 1024)));
        var inner = new byte[FrameHeader.Size + 4];
        new FrameHeader(FrameKind.Broadcast, true, 9, 4).Write(inner);
        yield return new("route-frames", FuzzInput.Join(
        [
            RouteFrame.Create(RouteFrameType.Probe, false, Origin, Destination, 1, [1, 2, 3]),
            RouteFrame.Create(RouteFrameType.ProbeReply, true, Destination, Origin, 1, [4, 5]),
            Data(1, inner),
            RouteFrame.Create(RouteFrameType.Ack, false, Destination, Origin, 1, []),
            RouteFrame.CreateUnreachable(true, Origin, Destination, 1, UnreachableReason.NoRoute),
        ]));
    }

    /// <summary>A Data route frame: seq, offset 0, a 2-byte signature, then the inner frame.</summary>
    private static byte[] Data(uint seq, byte[] inner)
    {
        var frame = new byte[RouteFrame.HeaderSize(Origin, Destination) + RouteFrame.DataPrefixSize + 2 + inner.Length];
        var at = RouteFrame.WriteHeader(frame, RouteFrameType.Data, false, Origin, Destination);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(at), seq);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at + 8), 2);
        frame[at + 10] = 0xAA;
        frame[at + 11] = 0xBB;
        inner.CopyTo(frame, at + 12);
        return frame;
    }

    private static IEnumerable<byte[]> Fragments(FrameKind kind, uint id, byte[] message, int maxFrameSize)
    {
        var count = MessageFragmenter.FrameCount(message.Length, maxFrameSize);
        for (var i = 0; i < count; i++)
        {
            var frame = new byte[maxFrameSize];
            var n = MessageFragmenter.WriteFrame(kind, id, message, i, maxFrameSize, frame);
            yield return frame.AsSpan(0, n).ToArray();
        }
    }
}
