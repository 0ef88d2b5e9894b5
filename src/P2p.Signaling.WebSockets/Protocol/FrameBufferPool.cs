using System.Buffers;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>
/// The pool of <see cref="OutgoingFrame"/> buffers. Not <see cref="ArrayPool{T}.Shared"/>: a frame is rented by the thread
/// that writes it and returned by the one that sends it, often later (frames wait in a connection's queue until its
/// sender runs), and under load more of them are out at once than the shared pool keeps per size (a few dozen), so it
/// would allocate most of them anew. This one keeps up to <see cref="ArraysPerSize"/> of each size up to <see cref="MaxPooledLength"/>.
/// </summary>
internal static class FrameBufferPool
{
    /// <summary>Larger buffers are allocated and dropped (whole offers with many candidates stay well below it).</summary>
    public const int MaxPooledLength = 8 * 1024;

    public const int ArraysPerSize = 1024;

    public static ArrayPool<byte> Shared { get; } = ArrayPool<byte>.Create(MaxPooledLength, ArraysPerSize);
}
