using P2p.Core.Framing;
using P2p.Core.Messaging;
using P2p.Core.Routing;
using P2p.Core.Transfers;
using P2p.Fuzzing.Support;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// P2p.Core's group framing as one link receives it (docs/protocol.md): each frame of the input (<see cref="FuzzInput"/>
/// framing) is a route frame (<see cref="RouteFrame.TryRead"/> and the readers of every route frame type, relayed
/// data rebuilt by a <see cref="RelayedInbox"/>) or a <see cref="FrameHeader"/> frame given to a
/// <see cref="MessageReassembler"/>; every complete message is also read as an error payload
/// (<see cref="ErrorPayload.Decode"/>) and as a stream chunk (<see cref="TransferChunk.TryRead"/>). Bad input is a
/// status or a false, never thrown.
/// </summary>
internal static class GroupFramingTarget
{
    private const int MaxMessageSize = 64 * 1024;

    public static void Run(ReadOnlySpan<byte> data)
    {
        var reassembler = new MessageReassembler(MaxMessageSize, maxPartialMessages: 4);
        var inbox = new RelayedInbox(MaxMessageSize);
        var input = new FuzzInput(data);
        while (input.TryNext(out var frame))
        {
            if (RouteFrame.IsRouteFrame(frame))
            {
                Route(frame, inbox);
                continue;
            }

            if (reassembler.Add(frame, out var header, out var message) == ReassemblyStatus.Complete)
            {
                Message(header, message);
            }
        }
    }

    private static void Route(ReadOnlySpan<byte> frame, RelayedInbox inbox)
    {
        if (!RouteFrame.TryRead(frame, out var route, out _))
        {
            return;
        }

        _ = (route.Origin, route.Destination, route.Forwarded);
        switch (route.Type)
        {
            case RouteFrameType.Probe or RouteFrameType.ProbeReply or RouteFrameType.Ack:
                route.TryReadNumberAndField(out _, out _);
                break;
            case RouteFrameType.Unreachable:
                route.TryReadUnreachable(out _, out _);
                break;
            case RouteFrameType.Data when route.TryReadData(out var seq, out var offset, out _, out var header, out var fragment):
                if (!inbox.WasDelivered(seq) && inbox.Add(seq, offset, header, fragment, out var message) == ReassemblyStatus.Complete)
                {
                    inbox.MarkDelivered(seq);
                    Message(header, message);
                }

                break;
        }
    }

    private static void Message(FrameHeader header, ReadOnlyMemory<byte> message)
    {
        _ = header.Kind;
        _ = ErrorPayload.Decode(message.Span);
        TransferChunk.TryRead(message, out _, out _, out _, out _, out _, out _, out _, out _);
    }
}
