namespace P2p.Core.Framing;

/// <summary>Splits a message into frames that each fit the channel's maximum message size.</summary>
public static class MessageFragmenter
{
    /// <summary>The number of frames a message of <paramref name="length"/> bytes needs.</summary>
    /// <param name="length">The message length.</param>
    /// <param name="maxFrameSize">The largest frame the channel carries (the remote's max message size).</param>
    public static int FrameCount(long length, int maxFrameSize)
    {
        var capacity = Capacity(maxFrameSize);
        return length == 0 ? 1 : (int)((length + capacity - 1) / capacity);
    }

    /// <summary>
    /// Writes frame <paramref name="index"/> of a message into <paramref name="destination"/> (which must
    /// hold at least <paramref name="maxFrameSize"/> bytes) and returns the frame's length.
    /// </summary>
    /// <param name="kind">The message kind.</param>
    /// <param name="messageId">The message id.</param>
    /// <param name="message">The whole message.</param>
    /// <param name="index">The frame index, 0 to <see cref="FrameCount"/> − 1.</param>
    /// <param name="maxFrameSize">The largest frame the channel carries.</param>
    /// <param name="destination">Where the frame is written.</param>
    public static int WriteFrame(FrameKind kind, uint messageId, ReadOnlySpan<byte> message, int index, int maxFrameSize, Span<byte> destination)
    {
        var capacity = Capacity(maxFrameSize);
        var count = FrameCount(message.Length, maxFrameSize);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        var offset = index * capacity;
        var fragment = message.Slice(offset, Math.Min(capacity, message.Length - offset));
        new FrameHeader(kind, index == count - 1, messageId, (uint)message.Length).Write(destination);
        fragment.CopyTo(destination[FrameHeader.Size..]);
        return FrameHeader.Size + fragment.Length;
    }

    private static int Capacity(int maxFrameSize)
    {
        if (maxFrameSize <= FrameHeader.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(maxFrameSize), maxFrameSize, $"A frame must be larger than its {FrameHeader.Size}-byte header.");
        }

        return maxFrameSize - FrameHeader.Size;
    }
}
