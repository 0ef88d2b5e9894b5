using System.Threading.Channels;

namespace P2p.Core.Transport;

/// <summary>
/// The one message channel of an <see cref="IPeerConnection"/>: reliable, ordered, message-oriented
/// (a WebRTC data channel with <c>ordered: true</c> and no retransmission limit, binary messages).
/// </summary>
/// <remarks>
/// P2p.Core sends from one task at a time per channel (it never calls <see cref="SendAsync"/>
/// concurrently) and reads <see cref="Incoming"/> from one task. Back-pressure works both ways:
/// <see cref="SendAsync"/> waits while too much is buffered for sending, and P2p.Core stops reading
/// <see cref="Incoming"/> while the application is behind, which a transport should let slow the sender.
/// </remarks>
public interface IMessageChannel
{
    /// <summary>
    /// The largest message the remote accepts, in bytes: the remote description's
    /// <c>a=max-message-size</c> (RFC 8841 section 6; 65,536 when absent, <see cref="int.MaxValue"/>
    /// when it is 0, meaning "any size"). P2p.Core never sends a larger message.
    /// </summary>
    int MaxMessageSize { get; }

    /// <summary>
    /// Messages received, in order, each a buffer the reader owns. Completes when the channel closes
    /// (with an exception when it failed). A transport buffers what arrives while nobody reads and,
    /// when it can, holds back the remote instead of buffering without bound.
    /// </summary>
    ChannelReader<ReadOnlyMemory<byte>> Incoming { get; }

    /// <summary>Raised once when the channel closes (locally, by the remote, or by failure).</summary>
    event EventHandler? Closed;

    /// <summary>
    /// Sends one message. Completes when the transport has taken it (copied or sent): the caller may reuse
    /// <paramref name="message"/> then. Waits while the send buffer is above the transport's high-water mark
    /// (browser: <c>bufferedAmount</c> above a threshold, resumed by <c>bufferedamountlow</c>).
    /// </summary>
    /// <param name="message">At most <see cref="MaxMessageSize"/> bytes.</param>
    /// <param name="cancellationToken">Cancels the wait for buffer space.</param>
    /// <exception cref="InvalidOperationException">The channel is not open (closed, or not yet connected).</exception>
    /// <exception cref="ArgumentException">The message is larger than <see cref="MaxMessageSize"/>.</exception>
    ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>
    /// Completes once every message sent so far has been delivered to the remote (acknowledged by its transport), so
    /// that closing the connection after it loses nothing; P2p.Core calls it when the member leaves, after its last
    /// sends. The default, for transports that cannot tell, completes at once.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when everything sent is delivered, or faults when the channel closed first.</returns>
    Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
