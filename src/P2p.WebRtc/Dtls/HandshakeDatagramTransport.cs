using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Net;
using BcDatagramTransport = Org.BouncyCastle.Tls.DatagramTransport;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// Adapts the push-style <see cref="IDatagramTransport"/> to BouncyCastle's blocking
/// <see cref="BcDatagramTransport"/> for the duration of the handshake: datagrams from the lower
/// receive handler are copied (pooled buffers) into a bounded queue that BouncyCastle's
/// <c>Receive</c> drains on the handshake thread. Aborting (timeout, cancellation, close) wakes the
/// blocked receive, which then throws so BouncyCastle unwinds the handshake.
/// </summary>
/// <remarks>
/// A receive's wait runs on the injected <see cref="TimeProvider"/>: BouncyCastle retransmits its
/// flight only after a receive returned -1, so nothing is retransmitted before that clock says the
/// wait is over (BouncyCastle also requires its own wall-clock timeout to have expired; see
/// <c>docs/webrtc/dtls.md</c>).
/// </remarks>
internal sealed class HandshakeDatagramTransport : BcDatagramTransport, IDisposable
{
    /// <summary>At most this many datagrams wait for the handshake; more are dropped (a peer flooding us).</summary>
    public const int MaxQueued = 256;

    /// <summary>
    /// The largest handshake datagram taken; larger ones are dropped (logged once). RFC 6347 §4.1.1 has handshake
    /// messages fragmented to the path MTU (WebRTC stacks send at most ~1,200–1,500 bytes; a whole flight of a
    /// self-signed certificate's handshake is about 1.5 KB). Not the 18 KB a record may reach: BouncyCastle allocates a
    /// buffer of this size for every receive call (twice, ~13 calls per handshake), which was half of what forming a
    /// mesh allocated.
    /// </summary>
    public const int ReceiveLimit = 4096;

    private readonly IDatagramTransport _lower;
    private readonly CancellationToken _abort;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Queue<(byte[] Buffer, int Length)> _queue = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly Lock _queueLock = new();
    private readonly bool _guardChangeCipherSpec;
    private long _epoch0WriteSequence = -1;
    private bool _certificateVerifyForwarded;
    private byte[]? _heldChangeCipherSpec;
    private bool _disposed;
    private bool _oversizedLogged;

    /// <param name="lower">The lower transport.</param>
    /// <param name="guardChangeCipherSpec">
    /// As server: hold the client's ChangeCipherSpec back until its CertificateVerify was handed to
    /// BouncyCastle (see <see cref="FilterForServer"/>).
    /// </param>
    /// <param name="time">The clock a receive waits on.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="abort">Aborts a blocked receive.</param>
    public HandshakeDatagramTransport(IDatagramTransport lower, bool guardChangeCipherSpec, TimeProvider time, ILogger logger, CancellationToken abort)
    {
        _lower = lower;
        _guardChangeCipherSpec = guardChangeCipherSpec;
        _time = time;
        _abort = abort;
        _logger = logger;
    }

    /// <summary>The highest epoch-0 record sequence number sent so far, or -1.</summary>
    public long Epoch0WriteSequence => Interlocked.Read(ref _epoch0WriteSequence);

    /// <summary>True when sending is pointless (the lower transport closed).</summary>
    public bool SuppressSends { get; set; }

    /// <summary>Queues a copy of a datagram for the handshake; false when the queue is full or disposed.</summary>
    /// <remarks>Called on the lower transport's receive thread, which may still deliver after <see cref="Dispose"/>.</remarks>
    public bool TryEnqueue(ReadOnlySpan<byte> datagram)
    {
        lock (_queueLock)
        {
            if (_disposed || _queue.Count >= MaxQueued)
            {
                return false;
            }

            if (datagram.Length > ReceiveLimit)
            {
                if (!_oversizedLogged)
                {
                    _oversizedLogged = true;
                    _logger.LogWarning("DTLS handshake datagram of {Length} bytes dropped: larger than {Limit} bytes (the peer does not fragment its handshake to the path MTU)", datagram.Length, ReceiveLimit);
                }

                return false;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(datagram.Length);
            datagram.CopyTo(buffer);
            _queue.Enqueue((buffer, datagram.Length));
            _available.Release();
        }

        return true;
    }

    /// <summary>Takes every queued datagram (at the hand-over to <see cref="DtlsRecordLayer"/>); return the buffers to the pool.</summary>
    public List<(byte[] Buffer, int Length)> DrainAll()
    {
        lock (_queueLock)
        {
            var all = new List<(byte[] Buffer, int Length)>(_queue);
            _queue.Clear();
            return all;
        }
    }

    public int GetReceiveLimit() => ReceiveLimit;

    public int GetSendLimit() => _lower.MaxDatagramSize;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (!WaitForDatagram(waitMillis))
        {
            return -1; // timed out: BouncyCastle retransmits its flight (once its own timer agrees)
        }

        (byte[] Buffer, int Length) item;
        lock (_queueLock)
        {
            if (!_queue.TryDequeue(out item))
            {
                return -1; // drained by the hand-over
            }
        }

        try
        {
            if (item.Length > buffer.Length)
            {
                return -1;
            }

            var length = item.Length;
            item.Buffer.AsSpan(0, length).CopyTo(buffer);
            if (_logger.IsEnabled(LogLevel.Trace))
            {
                _logger.LogTrace("DTLS handshake received {Records}", Describe(buffer[..length]));
            }

            if (_guardChangeCipherSpec)
            {
                length = FilterForServer(buffer[..length]);
            }

            return length > 0 ? length : -1; // -1: nothing for BouncyCastle now; its record layer keeps waiting

        }
        finally
        {
            ArrayPool<byte>.Shared.Return(item.Buffer);
        }
    }

    /// <summary>
    /// Waits until a datagram is queued or <paramref name="waitMillis"/> have passed on the injected
    /// clock (0 waits without limit, as BouncyCastle's <c>DatagramReceiver</c> defines it).
    /// </summary>
    /// <returns>True when a datagram is queued; false when the wait timed out.</returns>
    /// <exception cref="HandshakeAbortedException">The handshake was aborted.</exception>
    private bool WaitForDatagram(int waitMillis)
    {
        try
        {
            if (_available.Wait(0, _abort))
            {
                return true;
            }

            if (waitMillis < 0)
            {
                return false;
            }

            if (waitMillis == 0)
            {
                _available.Wait(Timeout.Infinite, _abort);
                return true;
            }

            // A timer of the injected clock ends the wait (a few per handshake: not a hot path).
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(waitMillis), _time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(_abort, timeout.Token);
            try
            {
                _available.Wait(Timeout.Infinite, either.Token);
                return true;
            }
            catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
            {
                return false;
            }
        }
        catch (OperationCanceledException)
        {
            throw new HandshakeAbortedException();
        }
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        NoteEpoch0Records(buffer);
        if (SuppressSends || _lower.IsClosed)
        {
            return;
        }

        if (_logger.IsEnabled(LogLevel.Trace))
        {
            _logger.LogTrace("DTLS handshake sending {Records}", Describe(buffer));
        }

        try
        {
            _lower.Send(buffer);
        }
        catch (ObjectDisposedException)
        {
            // The lower transport closed under us; the Closed event aborts the handshake.
        }
        catch (ArgumentException e)
        {
            _logger.LogWarning(e, "DTLS handshake datagram of {Length} bytes does not fit the lower transport", buffer.Length);
        }
    }

    public void Close()
    {
        // We do not own the lower transport.
    }

    /// <summary>Returns queued buffers to the pool; called once nothing can enqueue or receive any more.</summary>
    public void Dispose()
    {
        foreach (var (buffer, _) in DrainAll())
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        lock (_queueLock)
        {
            _disposed = true;
            _available.Dispose();
        }
    }

    // BouncyCastle switches its read epoch as soon as a ChangeCipherSpec arrives while a pending
    // epoch exists (after the ClientKeyExchange), and from then on drops epoch-0 records. If a
    // reordered or delayed ChangeCipherSpec overtakes the client's CertificateVerify, the
    // CertificateVerify (and every retransmission of it) is dropped and the handshake stalls until
    // it times out. RFC 6347 §4.1 only promises in-order delivery within a datagram, so the server
    // holds any ChangeCipherSpec back until a CertificateVerify has been handed over, then releases
    // it as the next datagram. Returns the datagram's new length (0 when nothing is left).
    private int FilterForServer(Span<byte> datagram)
    {
        var kept = 0;
        var rest = datagram;
        while (rest.Length >= DtlsRecordLayer.HeaderLength)
        {
            var length = DtlsRecordLayer.HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(rest[11..]);
            if (length > rest.Length)
            {
                break;
            }

            var record = rest[..length];
            var epoch0 = BinaryPrimitives.ReadUInt16BigEndian(record[3..]) == 0;
            if (epoch0 && record[0] == 22 && length > DtlsRecordLayer.HeaderLength && record[DtlsRecordLayer.HeaderLength] == 15)
            {
                _certificateVerifyForwarded = true;
            }

            if (epoch0 && record[0] == 20 && !_certificateVerifyForwarded)
            {
                _heldChangeCipherSpec = record.ToArray();
                _logger.LogTrace("DTLS ChangeCipherSpec held until the CertificateVerify arrives");
            }
            else
            {
                record.CopyTo(datagram[kept..]);
                kept += length;
            }

            rest = rest[length..];
        }

        if (_certificateVerifyForwarded && _heldChangeCipherSpec is { } held)
        {
            _heldChangeCipherSpec = null;
            lock (_queueLock)
            {
                var copy = ArrayPool<byte>.Shared.Rent(held.Length);
                held.CopyTo(copy, 0);
                var queued = _queue.ToArray();
                _queue.Clear();
                _queue.Enqueue((copy, held.Length));
                foreach (var item in queued)
                {
                    _queue.Enqueue(item);
                }

                if (!_disposed)
                {
                    _available.Release();
                }
            }
        }

        return kept;
    }

    // Remembers the epoch-0 write sequence so a post-handshake retransmission of our
    // ChangeCipherSpec uses a fresh sequence number (RFC 6347 §4.1: never reuse one in an epoch).
    private void NoteEpoch0Records(ReadOnlySpan<byte> datagram)
    {
        while (datagram.Length >= DtlsRecordLayer.HeaderLength)
        {
            var epochAndSequence = BinaryPrimitives.ReadUInt64BigEndian(datagram[3..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[11..]);
            if (epochAndSequence >> 48 == 0)
            {
                var sequence = (long)(epochAndSequence & DtlsRecordLayer.SequenceMask);
                if (sequence > Interlocked.Read(ref _epoch0WriteSequence))
                {
                    Interlocked.Exchange(ref _epoch0WriteSequence, sequence);
                }
            }

            var next = DtlsRecordLayer.HeaderLength + length;
            if (next > datagram.Length)
            {
                break;
            }

            datagram = datagram[next..];
        }
    }

    /// <summary>"type/epoch/seq[/handshake type]" of each record in a datagram, for trace logs.</summary>
    internal static string Describe(ReadOnlySpan<byte> datagram)
    {
        var parts = new List<string>();
        while (datagram.Length >= DtlsRecordLayer.HeaderLength)
        {
            var epochAndSequence = BinaryPrimitives.ReadUInt64BigEndian(datagram[3..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[11..]);
            var epoch = epochAndSequence >> 48;
            var text = $"{datagram[0]}/e{epoch}/s{epochAndSequence & DtlsRecordLayer.SequenceMask}";
            if (datagram[0] == 22 && epoch == 0 && length > 0 && datagram.Length > DtlsRecordLayer.HeaderLength)
            {
                text += $"/h{datagram[DtlsRecordLayer.HeaderLength]}";
            }

            parts.Add(text);
            var next = DtlsRecordLayer.HeaderLength + length;
            if (next > datagram.Length)
            {
                break;
            }

            datagram = datagram[next..];
        }

        return string.Join(' ', parts);
    }
}
