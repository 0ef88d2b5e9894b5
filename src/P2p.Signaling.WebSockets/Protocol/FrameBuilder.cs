using System.Text.Json;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>
/// A per-thread <see cref="Utf8JsonWriter"/> over a <see cref="PooledBufferWriter"/>, so writing a frame
/// allocates nothing but the pooled array it hands off. Use synchronously: <see cref="Start"/>, write,
/// <see cref="Finish"/> (never across an await).
/// </summary>
internal sealed class FrameBuilder
{
    [ThreadStatic]
    private static FrameBuilder? t_cached;

    private readonly PooledBufferWriter _buffer = new();

    private FrameBuilder()
    {
        // Our own frames are well-formed by construction; raw values copied in were validated when parsed.
        // Relaxed escaping: the frames travel over a WebSocket, never into HTML, so "'" stays "'".
        Writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions
        {
            SkipValidation = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
    }

    public Utf8JsonWriter Writer { get; }

    /// <param name="expectedLength">About how long the message will be (0: unknown), so its buffer need not grow while it is written.</param>
    public static FrameBuilder Start(int expectedLength = 0)
    {
        var builder = t_cached ?? new FrameBuilder();
        t_cached = null;
        builder.Writer.Reset(builder._buffer);
        if (expectedLength > 0)
        {
            builder._buffer.Reserve(expectedLength);
        }

        return builder;
    }

    public OutgoingFrame Finish()
    {
        Writer.Flush();
        var frame = _buffer.Detach();
        t_cached = this;
        return frame;
    }
}
