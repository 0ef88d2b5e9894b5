using System.Text;
using P2p.WebRtc.Sctp;

namespace P2p.WebRtc.DataChannels;

/// <summary>A message received on a data channel.</summary>
/// <param name="isText">True for a string message (PPID 51/56), false for binary (53/57).</param>
/// <param name="data">The message bytes (UTF-8 for strings); the handler may keep them.</param>
public sealed class RtcDataChannelMessageEventArgs(bool isText, ReadOnlyMemory<byte> data) : EventArgs
{
    /// <summary>True for a string message, false for a binary one.</summary>
    public bool IsText { get; } = isText;

    /// <summary>The message's bytes (UTF-8 for a string message). The receiver owns them.</summary>
    public ReadOnlyMemory<byte> Data { get; } = data;

    /// <summary>The message decoded as UTF-8 (meaningful for string messages).</summary>
    public string Text => Encoding.UTF8.GetString(Data.Span);

    /// <summary>The association raising this message, while its handler runs (null otherwise).</summary>
    internal SctpTransport? Sctp { get; set; }

    /// <summary>
    /// Keeps this message counted against the connection's receive window until the returned credit is released, for a
    /// handler that queues messages for a slower consumer instead of handling them: when the consumer falls behind, the
    /// window closes and the sending peer waits (back-pressure across the network) instead of the queue growing. Without
    /// it, a message counts as consumed as soon as the handler returns.
    /// </summary>
    /// <remarks>
    /// Call it inside the <see cref="RtcDataChannel.MessageReceived"/> handler, at most once per message, and release the
    /// credit once the message is consumed. The window is shared by every channel of the connection, so a credit kept
    /// forever stalls them all once the window is full. A message held for a channel's first handler (it arrived before
    /// anyone subscribed) already counted as consumed: its credit is empty.
    /// </remarks>
    /// <returns>The credit to release when the message has been consumed.</returns>
    /// <exception cref="InvalidOperationException">Called outside the handler, or twice for the message.</exception>
    public SctpReceiveCredit DeferConsumption()
    {
        if (Sctp is { } sctp)
        {
            return sctp.DeferCurrentMessage();
        }

        if (Replayed)
        {
            return default;
        }

        throw new InvalidOperationException("A message's consumption can only be deferred inside its MessageReceived handler.");
    }

    /// <summary>Whether this message was held for the first handler (its bytes were consumed when it was held).</summary>
    internal bool Replayed { get; set; }
}
