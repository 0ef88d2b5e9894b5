using System.Buffers;

namespace P2p.WebRtc.Sctp;

/// <summary>
/// The pool of whole-message buffers: outgoing messages (from Send until acknowledged) and reassembled incoming ones
/// (until the receiver is done with them). The shared <see cref="ArrayPool{T}"/> keeps only a few dozen arrays per size
/// across all cores, fewer than a bulk sender keeps in flight (4 MiB buffered is 64 messages of 64 KiB), and drops the
/// rest, so every few messages cost a new array; this pool keeps up to <see cref="MaxArraysPerSize"/> arrays of each
/// size up to <see cref="MaxPooledLength"/> bytes. It only holds what was once in use at the same time. Thread-safe.
/// </summary>
internal static class MessageBufferPool
{
    /// <summary>The largest array kept (a larger message's buffer is allocated and left to the GC).</summary>
    public const int MaxPooledLength = 1 << 20;

    /// <summary>Arrays kept per size (power of two) at most.</summary>
    public const int MaxArraysPerSize = 256;

    public static ArrayPool<byte> Shared { get; } = ArrayPool<byte>.Create(MaxPooledLength, MaxArraysPerSize);
}
