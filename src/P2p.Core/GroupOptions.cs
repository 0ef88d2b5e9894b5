namespace P2p.Core;

/// <summary>Settings of one group membership: handlers, message size limit, timeouts, queue bounds.</summary>
public sealed class GroupOptions
{
    /// <summary>The default message size limit: 16 MiB.</summary>
    public const int DefaultMaxMessageSize = 16 * 1024 * 1024;

    /// <summary>
    /// Receives broadcasts. Set it here rather than on <see cref="IGroup.MessageHandler"/> afterwards so
    /// that nothing arrives before it is in place (a broadcast that arrives with no handler is dropped and logged).
    /// </summary>
    public GroupMessageHandler? MessageHandler { get; set; }

    /// <summary>Answers unicast requests (without one, callers get <see cref="GroupErrorCode.NoHandler"/>).</summary>
    public GroupRequestHandler? RequestHandler { get; set; }

    /// <summary>
    /// The largest message sent or accepted, in bytes (default 16 MiB). A larger outgoing message fails with
    /// <see cref="GroupErrorCode.TooLarge"/> before anything is sent; a larger incoming one is dropped
    /// (a request gets a <see cref="GroupErrorCode.TooLarge"/> error reply).
    /// </summary>
    public int MaxMessageSize { get; set; } = DefaultMaxMessageSize;

    /// <summary>How long <see cref="IGroup.UnicastAsync"/> waits for the connection and then for the reply. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many received broadcasts may wait for <see cref="MessageHandler"/> (default 256). When the queue is
    /// full the SDK stops reading from the members' connections, which slows the senders down: nothing is dropped.
    /// </summary>
    public int ReceiveQueueCapacity { get; set; } = 256;

    /// <summary>How many request handlers may run at once in this group (default 16); further requests wait unread.</summary>
    public int MaxConcurrentRequests { get; set; } = 16;

    /// <summary>
    /// Invoke <see cref="RequestHandler"/> on the thread that received the request (with the WebRTC
    /// transport, the connection's network thread) instead of the thread pool. This saves a thread
    /// switch per request (1–22 µs per round trip on the benchmark machine, docs/benchmarks.md), but the handler
    /// must return (or reach its first <c>await</c>) quickly and never block: until it does, nothing
    /// else arrives from that member. Default <see langword="false"/>.
    /// </summary>
    public bool RunRequestHandlerInline { get; set; }

    /// <summary>
    /// The largest frame sent on a connection, in bytes (default 64 KiB; never more than the remote's
    /// <c>max-message-size</c>). Larger messages are split, so small messages are not stuck behind big ones.
    /// </summary>
    public int MaxFrameSize { get; set; } = 64 * 1024;

    /// <summary>
    /// End-to-end identity (docs/concepts.md, "Identity"): this member's key and name, whom to trust, and whether peers
    /// must prove an identity. <see langword="null"/> (default): no identity is sent or required; identities peers present
    /// are still verified and shown as <see cref="IPeer.Identity"/>.
    /// </summary>
    public Identity.IdentityOptions? Identity { get; set; }

    /// <summary>Relayed members: reaching members that cannot be connected to directly through another member, and relaying for others (both on by default).</summary>
    public RelayOptions Relaying { get; set; } = new();

    /// <summary>A copy of these settings.</summary>
    public GroupOptions Clone()
    {
        var copy = (GroupOptions)MemberwiseClone();
        copy.Relaying = Relaying.Clone();
        return copy;
    }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxMessageSize, nameof(MaxMessageSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxMessageSize, int.MaxValue - 64, nameof(MaxMessageSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveQueueCapacity, 1, nameof(ReceiveQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentRequests, 1, nameof(MaxConcurrentRequests));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameSize, Framing.FrameHeader.Size + 1, nameof(MaxFrameSize));
        Identity?.Validate();
        ArgumentNullException.ThrowIfNull(Relaying, nameof(Relaying));
        Relaying.Validate();
    }
}
