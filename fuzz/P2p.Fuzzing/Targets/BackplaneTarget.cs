extern alias server;
using server::P2p.Signaling.Server.Redis;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// The Redis backplane's binary message (docs/scaling.md) as another server instance publishes it:
/// <see cref="BackplaneMessage.TryDecode"/>, and the round trip — what decodes must encode and decode to the same
/// message (an instance forwards what it decoded). Bad input is a false from TryDecode, never thrown.
/// </summary>
internal static class BackplaneTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        if (!BackplaneMessage.TryDecode(data.ToArray(), out var message))
        {
            return;
        }

        if (!BackplaneMessage.TryDecode(message.Encode(), out var again)
            || again with { Payload = default } != message with { Payload = default }
            || !again.Payload.Span.SequenceEqual(message.Payload.Span))
        {
            throw new InvalidOperationException("A decoded backplane message did not survive its own round trip.");
        }
    }
}
