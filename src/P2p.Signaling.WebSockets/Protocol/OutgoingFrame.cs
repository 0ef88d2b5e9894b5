using System.Buffers;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>
/// One serialized JSON-RPC message waiting to be sent as one WebSocket text message. A pooled frame
/// owns a <see cref="FrameBufferPool"/> array and must be <see cref="Release"/>d exactly once.
/// </summary>
internal readonly struct OutgoingFrame
{
    private readonly byte[] _buffer;
    private readonly bool _pooled;

    public OutgoingFrame(byte[] buffer, int length, bool pooled)
    {
        _buffer = buffer;
        Length = length;
        _pooled = pooled && buffer.Length > 0;
    }

    /// <summary>Number of bytes in the message.</summary>
    public int Length { get; }

    /// <summary>The message bytes (UTF-8 JSON).</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>Returns a pooled buffer to the pool; does nothing for a shared (unpooled) one.</summary>
    public void Release()
    {
        if (_pooled)
        {
            FrameBufferPool.Shared.Return(_buffer);
        }
    }

    /// <summary>Copies the message into an exact-size array that may be shared by many receivers, and releases this frame.</summary>
    public byte[] ToSharedArrayAndRelease()
    {
        var copy = Memory.ToArray();
        Release();
        return copy;
    }
}
