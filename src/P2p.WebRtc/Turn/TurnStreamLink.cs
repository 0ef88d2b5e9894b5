using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging;

namespace P2p.WebRtc.Turn;

/// <summary>
/// A TURN server over TCP or TLS (RFC 8656 §3.1): STUN messages and ChannelData messages back to back on one stream,
/// each framed by its own length field (ChannelData padded to a multiple of 4, §12.5). One reader task delivers
/// messages in order; sends are written under a lock.
/// </summary>
internal sealed class TurnStreamLink : ITurnServerLink
{
    /// <summary>The largest message accepted from the server: a STUN header plus its 16-bit length.</summary>
    private const int MaxMessage = 4 + 65535 + 3;
    private readonly Stream _stream;
    private readonly ILogger _logger;
    private readonly Lock _writeLock = new();
    private readonly Lock _deliverLock = new();
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _closed;
    private Task? _reader;

    public TurnStreamLink(Stream stream, IPEndPoint server, ILogger logger)
    {
        _stream = stream;
        _logger = logger;
        Server = server;
    }

    public IPEndPoint Server { get; }

    public bool IsReliable => true;

    public void Start(TurnServerMessageHandler handler, Action<Exception?> closed) =>
        _reader = Task.Run(() => ReadLoopAsync(handler, closed));

    public bool Send(ReadOnlySpan<byte> message)
    {
        if (_closed)
        {
            return false;
        }

        try
        {
            lock (_writeLock)
            {
                _stream.Write(message);
                var pad = (4 - (message.Length & 3)) & 3; // only ChannelData can be unaligned (§12.5)
                if (pad != 0)
                {
                    _stream.Write(stackalloc byte[] { 0, 0, 0 }[..pad]);
                }

                _stream.Flush();
            }

            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            _logger.LogDebug("TURN {Server}: send failed: {Error}", Server, e.Message);
            return false;
        }
    }

    public void Dispose()
    {
        _closed = true;
        _stop.Cancel();
        _stream.Dispose();

        // After Dispose the handler is not invoked again (IDatagramSocket contract), unless called from inside it.
        lock (_deliverLock)
        {
        }

        _stop.Dispose();
    }

    private async Task ReadLoopAsync(TurnServerMessageHandler handler, Action<Exception?> closed)
    {
        var buffer = new byte[MaxMessage * 2];
        var filled = 0;
        Exception? error = null;
        try
        {
            while (!_closed)
            {
                var read = await _stream.ReadAsync(buffer.AsMemory(filled), _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                filled += read;
                var consumed = 0;
                while (TryFrame(buffer.AsSpan(consumed, filled - consumed), out var length, out var padded))
                {
                    lock (_deliverLock)
                    {
                        if (_closed)
                        {
                            return;
                        }

                        try
                        {
                            handler(buffer.AsSpan(consumed, length));
                        }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            // As on a UDP socket's receive loop: a message the layers above fail on is dropped, and the
                            // link keeps reading (an escaping exception would end the loop without reporting the link closed).
                            _logger.LogError(e, "TURN {Server}: handling a {Length}-byte message failed; it is dropped", Server, length);
                        }
                    }

                    consumed += padded;
                }

                if (consumed > 0)
                {
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                    filled -= consumed;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidDataException)
        {
            error = _closed ? null : e;
        }

        if (!_closed)
        {
            _closed = true;
            closed(error ?? new IOException("The TURN server closed the connection."));
        }
    }

    /// <summary>Finds the first whole message: its length and the bytes it occupies on the stream.</summary>
    /// <exception cref="InvalidDataException">The stream is not TURN framing.</exception>
    internal static bool TryFrame(ReadOnlySpan<byte> data, out int length, out int padded)
    {
        length = padded = 0;
        if (data.Length < 4)
        {
            return false;
        }

        var bodyLength = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        switch (data[0] >> 6)
        {
            case 0: // STUN: 20-byte header, the body already a multiple of 4
                length = padded = 20 + bodyLength;
                break;
            case 1: // ChannelData (0x4000–0x7FFF)
                length = 4 + bodyLength;
                padded = (length + 3) & ~3;
                break;
            default:
                throw new InvalidDataException($"Not TURN framing: first byte 0x{data[0]:X2}.");
        }

        return data.Length >= padded;
    }
}
