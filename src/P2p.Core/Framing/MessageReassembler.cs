namespace P2p.Core.Framing;

/// <summary>
/// Rebuilds messages from the frames of one channel (see <see cref="FrameHeader"/>). Frames of
/// different messages may interleave; the frames of one message must arrive in order. Not thread-safe:
/// one instance per channel, fed by the channel's receive loop.
/// </summary>
/// <param name="maxMessageSize">The largest message accepted, in bytes.</param>
/// <param name="maxPartialMessages">How many messages may be partially received at once.</param>
public sealed class MessageReassembler(long maxMessageSize, int maxPartialMessages = 16)
{
    private readonly Dictionary<(FrameKind, uint), Partial> _partials = [];

    /// <summary>The largest message accepted, in bytes (at most <see cref="Array.MaxLength"/>).</summary>
    public long MaxMessageSize { get; } = maxMessageSize is >= 0 and <= int.MaxValue - 64
        ? maxMessageSize
        : throw new ArgumentOutOfRangeException(nameof(maxMessageSize), maxMessageSize, "The message size limit must be between 0 and 2 GiB.");

    /// <summary>How many messages are partly received (over-large ones being counted through included), for tests.</summary>
    internal int PartialMessageCount => _partials.Count;

    /// <summary>
    /// As <see cref="Add(ReadOnlySpan{byte}, out FrameHeader, out ReadOnlyMemory{byte})"/>, for a frame the caller gives
    /// away (the transport hands each reader a buffer of its own): a message that fits in this one frame is returned as
    /// a slice of it instead of a copy.
    /// </summary>
    internal ReassemblyStatus AddOwned(ReadOnlyMemory<byte> frame, out FrameHeader header, out ReadOnlyMemory<byte> message)
    {
        var span = frame.Span;
        if (FrameHeader.TryRead(span, out header)
            && header.Final
            && header.TotalLength == span.Length - FrameHeader.Size
            && header.TotalLength <= MaxMessageSize
            && !_partials.ContainsKey((header.Kind, header.MessageId)))
        {
            // Exactly the case in which Add completes a message with a copy of the fragment.
            message = frame[FrameHeader.Size..];
            return ReassemblyStatus.Complete;
        }

        return Add(span, out header, out message);
    }

    /// <summary>
    /// Adds one received frame. On <see cref="ReassemblyStatus.Complete"/>, <paramref name="message"/>
    /// holds the whole message (a new array the caller owns).
    /// </summary>
    /// <param name="frame">The frame as received.</param>
    /// <param name="header">The frame's header, when it could be read.</param>
    /// <param name="message">The completed message, or empty.</param>
    public ReassemblyStatus Add(ReadOnlySpan<byte> frame, out FrameHeader header, out ReadOnlyMemory<byte> message)
    {
        message = ReadOnlyMemory<byte>.Empty;
        if (!FrameHeader.TryRead(frame, out header))
        {
            return ReassemblyStatus.Malformed;
        }

        var fragment = frame[FrameHeader.Size..];
        var key = (header.Kind, header.MessageId);
        _partials.TryGetValue(key, out var partial);
        if (partial is null)
        {
            if (header.TotalLength > MaxMessageSize)
            {
                if (!header.Final && _partials.Count < maxPartialMessages)
                {
                    // Counted like any partial message: a peer cannot grow the table with over-large ones. Past the
                    // limit, every fragment of the message is reported TooLarge, the final one too.
                    _partials[key] = Partial.Discarding(header.TotalLength);
                }

                return ReassemblyStatus.TooLarge;
            }

            if (header.Final)
            {
                if (fragment.Length != header.TotalLength)
                {
                    return ReassemblyStatus.Malformed;
                }

                message = fragment.ToArray();
                return ReassemblyStatus.Complete;
            }

            if (fragment.Length >= header.TotalLength)
            {
                return ReassemblyStatus.Malformed;
            }

            if (_partials.Count >= maxPartialMessages)
            {
                return ReassemblyStatus.TooManyPartialMessages;
            }

            partial = new Partial(header.TotalLength);
            _partials[key] = partial;
        }

        if (partial.TotalLength != header.TotalLength || partial.Received + fragment.Length > header.TotalLength)
        {
            _partials.Remove(key);
            return ReassemblyStatus.Malformed;
        }

        if (partial.Buffer is null)
        {
            // Discarding an over-large message: count its bytes until its final fragment.
            partial.Received += fragment.Length;
            if (header.Final)
            {
                _partials.Remove(key);
            }

            return ReassemblyStatus.TooLarge;
        }

        partial.Buffer.Append(fragment);
        partial.Received += fragment.Length;
        if (!header.Final)
        {
            return ReassemblyStatus.Incomplete;
        }

        _partials.Remove(key);
        if (partial.Received != partial.TotalLength)
        {
            return ReassemblyStatus.Malformed;
        }

        message = partial.Buffer.ToMessage();
        return ReassemblyStatus.Complete;
    }

    private sealed class Partial
    {
        public Partial(uint totalLength, bool discard = false)
        {
            TotalLength = totalLength;
            Buffer = discard ? null : new FragmentBuffer(totalLength);
        }

        public uint TotalLength { get; }

        /// <summary>The message being rebuilt, or null while an over-large message is discarded.</summary>
        public FragmentBuffer? Buffer { get; }

        public long Received { get; set; }

        public static Partial Discarding(uint totalLength) => new(totalLength, discard: true);
    }
}
