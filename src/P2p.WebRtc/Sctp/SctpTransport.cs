using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Sctp;

/// <summary>
/// Runs an <see cref="SctpAssociation"/> over an <see cref="IDatagramTransport"/> (in production the
/// DTLS transport, RFC 8261: one SCTP packet per DTLS record) with a real clock and one timer, and
/// offers a thread-safe API for the data channel layer: connect, send with back-pressure, receive
/// messages, reset streams, close.
/// </summary>
/// <remarks>
/// <para>
/// Threading: every call into the association happens under one lock. A received datagram is
/// processed on the transport's receive thread, and the packets it triggers (SACKs, data released
/// by the congestion window) are sent right there; <see cref="Send"/> sends on the caller's thread
/// as far as the windows allow. Packets are built under the lock but handed to the transport
/// outside it, in order, by one thread at a time, so a slow send (a system call, DTLS encryption)
/// never holds up the processing of received packets. Events are raised in order, one at a time, outside the lock —
/// usually on the receive thread — so a handler may call back into this object (for example to
/// reply), but must not block: it holds up the datagrams behind it.
/// </para>
/// <para>The lower transport is not owned: disposing this object detaches from it without closing it.</para>
/// </remarks>
public sealed class SctpTransport : IAsyncDisposable
{
    /// <summary>
    /// Outbox buffers kept for reuse at least (about 360 KiB with 1.4 KB packets); up to a receive window's worth are
    /// kept, as a flush after a large SACK or a retransmission can put a whole window of packets in the outbox at once.
    /// </summary>
    private const int MinRetainedPacketBuffers = 256;

    /// <summary>Why a <see cref="FlushAsync"/> fails.</summary>
    private const string UnacknowledgedAtClose = "The SCTP association closed with messages not yet acknowledged by the peer.";

    private readonly IDatagramTransport _transport;
    private readonly SctpAssociation _association;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly Lock _lock = new();
    private readonly int _packetSize;

    /// <summary>Buffers of the outbox (under <see cref="_lock"/>): a congestion window's worth of packets is more than the shared pool keeps.</summary>
    private readonly PacketBufferPool _packetBuffers;
    private readonly ITimer _timer;
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<SctpCloseInfo> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<TaskCompletionSource> _sendWaiters = [];
    private readonly List<TaskCompletionSource> _flushWaiters = [];
    private Queue<(byte[] Buffer, int Length)> _outbox = new();
    private Queue<(byte[] Buffer, int Length)> _sendBatch = new();
    private bool _sending;
    private Queue<SctpEvent> _pending = new();
    private Queue<SctpEvent> _dispatchBatch = new();
    private bool _dispatching;

    // The MessageReceived being raised (only the dispatching thread touches these): its bytes, and whether a handler
    // deferred their consumption (DeferConsumption); bytes of messages raised and not deferred, consumed after the batch.
    private int _raisingThread = -1;
    private int _raisingBytes;
    private bool _raisingDeferred;
    private long _consumedInBatch;
    private TimeSpan _armed = TimeSpan.MaxValue;
    private bool _disposed;
    private SctpCloseInfo? _closeInfo;

    /// <summary>Creates the transport and starts listening on <paramref name="transport"/> at once.</summary>
    /// <param name="transport">The datagram transport below (DTLS in production).</param>
    /// <param name="options">SCTP options; <see cref="SctpOptions.MaxPacketSize"/> is capped to the transport's datagram size.</param>
    /// <param name="logger">Logger; null for none.</param>
    /// <param name="timeProvider">Clock and timers; null for the system clock.</param>
    public SctpTransport(IDatagramTransport transport, SctpOptions? options = null, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        options ??= new SctpOptions();
        if (options.MaxPacketSize > transport.MaxDatagramSize)
        {
            options = options with { MaxPacketSize = transport.MaxDatagramSize };
        }

        _logger = logger ?? NullLogger.Instance;
        _association = new SctpAssociation(options, _logger);
        _time = timeProvider ?? TimeProvider.System;
        _start = _time.GetTimestamp();
        _packetSize = options.MaxPacketSize;
        _packetBuffers = new PacketBufferPool(_packetSize, Math.Max(MinRetainedPacketBuffers, (options.ReceiveWindow / _packetSize) + 1));
        _timer = _time.CreateTimer(static s => ((SctpTransport)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        transport.Closed += OnTransportClosed;
        transport.SetReceiveHandler(OnDatagram);
    }

    /// <summary>Raised once when the association is established.</summary>
    public event EventHandler? Connected;

    /// <summary>Raised for every complete message, in order per ordered stream.</summary>
    public event EventHandler<SctpMessage>? MessageReceived;

    /// <summary>
    /// The data channel layer's receiver, raised before <see cref="MessageReceived"/>: the message over its pooled
    /// buffer (<see cref="MessageBufferPool"/>, null when it has none); true when the handler keeps the buffer (and
    /// returns it to the pool itself), false to let the transport return it once the message is raised.
    /// </summary>
    internal Func<SctpMessage, byte[]?, bool>? PooledMessageReceived { get; set; }

    /// <summary>The peer reset these incoming streams (an empty list: all). With the default options our outgoing side of each is reset in turn (RFC 8831 §6.7).</summary>
    public event EventHandler<IReadOnlyList<ushort>>? IncomingStreamsReset;

    /// <summary>An outgoing stream reset requested with <see cref="ResetStreams"/> (or automatically) completed; the ids may be reused.</summary>
    public event EventHandler<IReadOnlyList<ushort>>? OutgoingStreamsReset;

    /// <summary>The peer refused to reset these streams.</summary>
    public event EventHandler<IReadOnlyList<ushort>>? StreamsResetFailed;

    /// <summary>A stream's buffered amount fell to or below its low threshold (RFC 8831 §6.6 bufferedamountlow).</summary>
    public event EventHandler<ushort>? BufferedAmountLow;

    /// <summary>The peer reported an error (ERROR chunk) without closing.</summary>
    public event EventHandler<SctpEvent>? PeerError;

    /// <summary>Raised once when the association closes (gracefully or not).</summary>
    public event EventHandler<SctpCloseInfo>? Closed;

    /// <summary>The association's state.</summary>
    public SctpAssociationState State
    {
        get
        {
            lock (_lock)
            {
                return _association.State;
            }
        }
    }

    /// <summary>How the association closed, or null while it is open.</summary>
    public SctpCloseInfo? CloseInfo => Volatile.Read(ref _closeInfo);

    /// <summary>The options in use.</summary>
    public SctpOptions Options => _association.Options;

    /// <summary>
    /// <see cref="SendAsync"/> waits while this many bytes or more are queued and not yet sent
    /// (all streams). Default 4 MiB; it resumes once the queue drained to half of it.
    /// </summary>
    public long SendBufferLimit { get; set; } = 4 * 1024 * 1024;

    /// <summary>Bytes queued on all streams and not yet sent.</summary>
    public long BufferedAmount
    {
        get
        {
            lock (_lock)
            {
                return _association.TotalBufferedAmount;
            }
        }
    }

    /// <summary>Completes when the association closes, with how it closed.</summary>
    public Task<SctpCloseInfo> Completion => _closed.Task;

    /// <summary>
    /// Opens the association actively (sends INIT) and waits until it is established. In WebRTC
    /// both peers call this; simultaneous INITs are resolved by the protocol.
    /// </summary>
    /// <exception cref="SctpException">The association failed or closed first.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ThrowIfUnusable();
            _association.Connect(Now());
            FlushLocked();
        }

        Drain();
        await _connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits, without sending INIT, until the peer has opened the association.</summary>
    /// <exception cref="SctpException">The association closed first.</exception>
    public Task AcceptAsync(CancellationToken cancellationToken = default) => _connected.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Queues a message. Returns at once; messages queued before the association is established
    /// are sent once it is.
    /// </summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="ppid">The payload protocol identifier.</param>
    /// <param name="payload">1 byte to <see cref="SctpOptions.MaxMessageSize"/>; copied.</param>
    /// <param name="options">Ordering and partial reliability.</param>
    /// <exception cref="ArgumentException">Empty, too large, or an invalid stream.</exception>
    /// <exception cref="InvalidOperationException">The send buffer is full, or the association is closing or closed.</exception>
    public void Send(ushort streamId, uint ppid, ReadOnlySpan<byte> payload, SctpSendOptions options = default)
    {
        SctpSendStatus status;
        lock (_lock)
        {
            ThrowIfDisposed();
            status = _association.Send(streamId, ppid, payload, options, Now());
            if (status == SctpSendStatus.Success)
            {
                FlushLocked();
            }
        }

        Drain();
        ThrowOnError(status, payload.Length);
    }

    /// <summary>
    /// Queues a message, first waiting while <see cref="SendBufferLimit"/> bytes or more are queued
    /// (back-pressure for bulk senders).
    /// </summary>
    /// <exception cref="SctpException">The association closed while waiting.</exception>
    public async ValueTask SendAsync(ushort streamId, uint ppid, ReadOnlyMemory<byte> payload, SctpSendOptions options = default, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            TaskCompletionSource waiter;
            SctpSendStatus status;
            lock (_lock)
            {
                ThrowIfDisposed();
                if (_closeInfo is { } info)
                {
                    throw new SctpException(info);
                }

                var buffered = _association.TotalBufferedAmount;
                if (buffered == 0 || buffered + payload.Length <= SendBufferLimit || _association.IsClosed)
                {
                    status = _association.Send(streamId, ppid, payload.Span, options, Now());
                    if (status == SctpSendStatus.Success)
                    {
                        FlushLocked();
                    }

                    goto sent;
                }

                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _sendWaiters.Add(waiter);
            }

            try
            {
                await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (_lock)
                {
                    _sendWaiters.Remove(waiter);
                }

                throw;
            }

            continue;

        sent:
            Drain();
            ThrowOnError(status, payload.Length);
            return;
        }
    }

    /// <summary>
    /// Resets outgoing streams (how a data channel closes, RFC 8831 §6.7); see
    /// <see cref="SctpAssociation.ResetStreams"/>. Completion: <see cref="OutgoingStreamsReset"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not established, or the peer does not support stream reset.</exception>
    public void ResetStreams(params ReadOnlySpan<ushort> streamIds)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            _association.ResetStreams(streamIds);
            FlushLocked();
        }

        Drain();
    }

    /// <summary>
    /// Tells the association that the path below moved (ICE selected another candidate pair, e.g. after an ICE
    /// restart): outstanding DATA is retransmitted now, with the RTO back at its initial value
    /// (<see cref="SctpAssociation.HandlePathChange"/>), instead of after a backed-off retransmission timeout.
    /// </summary>
    public void NotifyPathChanged()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var marked = _association.HandlePathChange(Now());
            if (marked > 0)
            {
                _logger.LogDebug("SCTP: the path changed; {Count} chunks in flight are retransmitted now", marked);
            }

            FlushOrAbortLocked();
        }

        Drain();
    }

    /// <summary>Bytes queued on a stream and not yet sent (RFC 8831 §6.6 bufferedAmount).</summary>
    public long GetBufferedAmount(ushort streamId)
    {
        lock (_lock)
        {
            return _association.GetBufferedAmount(streamId);
        }
    }

    /// <summary>Sets the threshold below which <see cref="BufferedAmountLow"/> is raised for the stream.</summary>
    public void SetBufferedAmountLowThreshold(ushort streamId, long bytes)
    {
        lock (_lock)
        {
            _association.SetBufferedAmountLowThreshold(streamId, bytes);
        }
    }

    /// <summary>A snapshot of the association's counters.</summary>
    public SctpMetrics GetMetrics()
    {
        lock (_lock)
        {
            return _association.GetMetrics();
        }
    }

    /// <summary>
    /// Closes gracefully (SHUTDOWN, RFC 9260 §9.2): queued messages are delivered first. Completes
    /// when the association has closed, however that happened.
    /// </summary>
    public async Task<SctpCloseInfo> CloseAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _association.Shutdown(Now());
                FlushLocked();
            }
        }

        Drain();
        return await _closed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Completes once every message queued so far (on any stream) has been sent and acknowledged by the peer, so that
    /// closing the association or the connection after it loses nothing. Messages queued while waiting are waited for
    /// too: stop sending first. Completes at once when nothing is outstanding.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (nothing is undone).</param>
    /// <exception cref="SctpException">The association closed (or failed) with data still unacknowledged.</exception>
    /// <exception cref="ObjectDisposedException">The transport is disposed.</exception>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            ThrowIfDisposed();
            if (!_association.HasUnacknowledgedData)
            {
                return Task.CompletedTask;
            }

            if (_association.IsClosed)
            {
                return Task.FromException(new SctpException(UnacknowledgedAtClose));
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add(waiter);
        }

        return waiter.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Aborts at once (ABORT with a User-Initiated Abort cause carrying <paramref name="reason"/>).</summary>
    public void Abort(string? reason = null)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _association.Abort(reason, Now());
            FlushLocked();
        }

        Drain();
    }

    /// <summary>Aborts the association if still open, stops the timer and detaches from the transport.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            if (!_association.IsClosed)
            {
                _association.Abort("disposed", Now());
                FlushLocked();
            }

            _disposed = true;
        }

        Drain();
        _transport.SetReceiveHandler(null);
        _transport.Closed -= OnTransportClosed;
        await _timer.DisposeAsync().ConfigureAwait(false);
        lock (_lock)
        {
            foreach (var w in _sendWaiters)
            {
                w.TrySetException(new ObjectDisposedException(nameof(SctpTransport)));
            }

            _sendWaiters.Clear();
            CompleteFlushWaitersLocked(new ObjectDisposedException(nameof(SctpTransport)));
        }

        _connected.TrySetException(new ObjectDisposedException(nameof(SctpTransport)));
        _ = _connected.Task.Exception;
    }

    private TimeSpan Now() => _time.GetElapsedTime(_start);

    private void OnDatagram(ReadOnlySpan<byte> datagram)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                _association.HandlePacket(datagram, Now());
            }
            catch (Exception ex)
            {
                // Defence in depth: malformed input is dropped by the association; nothing may escape onto the receive thread.
                _logger.LogError(ex, "SCTP packet processing failed");
            }

            FlushOrAbortLocked();
        }

        Drain();
    }

    /// <summary>
    /// Under the lock: sends what is due. A failure here is a bug of the association; it must not escape onto a timer or
    /// receive thread (which would end the process), so it is logged and the association is aborted: the connection
    /// fails, the process lives.
    /// </summary>
    private void FlushOrAbortLocked()
    {
        try
        {
            FlushLocked();
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "SCTP failed while building packets; aborting the association");
            try
            {
                _association.Abort("internal error: " + ex.Message, Now());
                FlushLocked();
            }
            catch (Exception inner)
            {
                _logger.LogError(inner, "SCTP abort after an internal error failed");
            }
        }
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _armed = TimeSpan.MaxValue;
            try
            {
                _association.HandleTimeout(Now());
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "SCTP timer processing failed");
            }

            FlushOrAbortLocked();
        }

        Drain();
    }

    private void OnTransportClosed(object? sender, DatagramTransportClosedEventArgs e)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _association.HandleTransportClosed(e.Error?.Message);
            FlushLocked();
        }

        Drain();
    }

    /// <summary>
    /// Moves every packet the association has ready to the outbox (sent by <see cref="Drain"/> outside
    /// the lock), collects its events and re-arms the timer. Under the lock.
    /// </summary>
    private void FlushLocked()
    {
        var now = Now();

        // Messages just delivered count against the window before the SACKs below advertise it.
        CollectEventsLocked();
        while (true)
        {
            var buffer = _packetBuffers.Rent(_packetSize);
            var n = _association.BuildPacket(buffer.AsSpan(0, _packetSize), now);
            if (n == 0)
            {
                _packetBuffers.Return(buffer);
                break;
            }

            _outbox.Enqueue((buffer, n));
        }

        CollectEventsLocked();
        if (_sendWaiters.Count > 0 && (_association.IsClosed || _association.TotalBufferedAmount <= SendBufferLimit / 2))
        {
            foreach (var w in _sendWaiters)
            {
                w.TrySetResult();
            }

            _sendWaiters.Clear();
        }

        if (_flushWaiters.Count > 0 && (_association.IsClosed || !_association.HasUnacknowledgedData))
        {
            CompleteFlushWaitersLocked(_association.HasUnacknowledgedData ? new SctpException(UnacknowledgedAtClose) : null);
        }

        var next = _association.NextTimeout;
        if (next is { } deadline && deadline < _armed)
        {
            _armed = deadline;
            var due = deadline - now;
            _timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Under the lock: ends every <see cref="FlushAsync"/> wait, with <paramref name="error"/> when not null.</summary>
    private void CompleteFlushWaitersLocked(Exception? error)
    {
        foreach (var w in _flushWaiters)
        {
            if (error is null)
            {
                w.TrySetResult();
            }
            else
            {
                w.TrySetException(error);
            }
        }

        _flushWaiters.Clear();
    }

    /// <summary>Moves the association's events to the pending queue; the bytes of delivered messages are held until raised.</summary>
    private void CollectEventsLocked()
    {
        long held = 0;
        while (_association.TryDequeueEvent(out var e))
        {
            if (e.Type == SctpEventType.MessageReceived)
            {
                held += e.Message.Payload.Length;
            }

            _pending.Enqueue(e);
        }

        if (held > 0)
        {
            _association.HoldReceived(held);
        }
    }

    /// <summary>
    /// Raises a message: to <see cref="PooledMessageReceived"/> over its pooled buffer, which that handler may keep, and
    /// to <see cref="MessageReceived"/> as an array of its own; the buffer goes back to the pool unless kept.
    /// </summary>
    private void RaiseMessage(SctpMessage message, byte[]? rented)
    {
        _raisingBytes = message.Payload.Length;
        _raisingDeferred = false;
        _raisingThread = Environment.CurrentManagedThreadId;
        var kept = false;
        try
        {
            // The array handlers' own copy, taken first: the pooled handler may hand the buffer on at once.
            var owned = rented is not null && MessageReceived is not null ? message with { Payload = message.Payload.ToArray() } : message;
            if (PooledMessageReceived is { } pooled)
            {
                kept = pooled(message, rented);
            }

            MessageReceived?.Invoke(this, owned);
        }
        finally
        {
            _raisingThread = -1;
            if (!_raisingDeferred)
            {
                _consumedInBatch += _raisingBytes;
            }

            if (!kept && rented is not null)
            {
                MessageBufferPool.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Inside a <see cref="MessageReceived"/> handler: the message's bytes stay counted against the receive window until
    /// the returned credit is released (see <see cref="SctpReceiveCredit"/>), instead of being taken as consumed when the
    /// handler returns.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not inside a <see cref="MessageReceived"/> handler, or already deferred.</exception>
    internal SctpReceiveCredit DeferCurrentMessage()
    {
        if (_raisingThread != Environment.CurrentManagedThreadId)
        {
            throw new InvalidOperationException("A message's consumption can only be deferred inside its MessageReceived handler.");
        }

        if (_raisingDeferred)
        {
            throw new InvalidOperationException("This message's consumption is already deferred.");
        }

        _raisingDeferred = true;
        return new SctpReceiveCredit(this, _raisingBytes);
    }

    /// <summary>Gives back <paramref name="bytes"/> of deferred messages to the receive window (see <see cref="SctpReceiveCredit.Release"/>).</summary>
    internal void ReleaseReceived(long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        if (_raisingThread == Environment.CurrentManagedThreadId)
        {
            _consumedInBatch += bytes; // released inside a handler (the usual case): given back with the batch
            return;
        }

        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _association.ReleaseReceived(bytes);
            FlushLocked();
        }

        Drain();
    }

    /// <summary>Sends the outbox, then raises pending events: both outside the lock.</summary>
    private void Drain()
    {
        SendOutbox();
        Dispatch();
    }

    /// <summary>
    /// Hands the queued packets to the transport in order, one thread at a time, outside the lock
    /// (system calls and DTLS encryption must not hold up packet processing on other threads).
    /// </summary>
    private void SendOutbox()
    {
        lock (_lock)
        {
            if (_sending || _outbox.Count == 0)
            {
                return;
            }

            _sending = true;
        }

        Queue<(byte[] Buffer, int Length)>? sent = null;
        while (true)
        {
            Queue<(byte[] Buffer, int Length)> batch;
            lock (_lock)
            {
                if (sent is not null)
                {
                    // The buffers of the batch just sent go back to the pool (under the lock that guards it).
                    while (sent.TryDequeue(out var done))
                    {
                        _packetBuffers.Return(done.Buffer);
                    }
                }

                if (_outbox.Count == 0)
                {
                    _sending = false;
                    return;
                }

                batch = _outbox;
                _outbox = _sendBatch;
                _sendBatch = batch;
            }

            var failed = false;
            foreach (var packet in batch)
            {
                if (failed)
                {
                    break;
                }

                try
                {
                    _transport.Send(packet.Buffer.AsSpan(0, packet.Length));
                }
                catch (ObjectDisposedException)
                {
                    failed = true;
                }
                catch (Exception ex)
                {
                    // Like a lost datagram: SCTP retransmits.
                    _logger.LogDebug(ex, "datagram send failed");
                }
            }

            sent = batch;
            if (failed)
            {
                lock (_lock)
                {
                    _association.HandleTransportClosed();
                    FlushLocked();
                }
            }
        }
    }

    /// <summary>Raises pending events in order, one thread at a time, outside the lock (re-entrant calls just queue).</summary>
    private void Dispatch()
    {
        lock (_lock)
        {
            if (_dispatching || _pending.Count == 0)
            {
                return;
            }

            _dispatching = true;
        }

        var released = false;
        while (true)
        {
            Queue<SctpEvent> batch;
            lock (_lock)
            {
                if (_consumedInBatch > 0)
                {
                    _association.ReleaseReceived(_consumedInBatch);
                    _consumedInBatch = 0;
                    FlushLocked();
                    released = true;
                }

                if (_pending.Count == 0)
                {
                    _dispatching = false;
                    break;
                }

                batch = _pending;
                _pending = _dispatchBatch;
                _dispatchBatch = batch;
            }

            while (batch.TryDequeue(out var e))
            {
                try
                {
                    Raise(e);
                }
                catch (Exception ex)
                {
                    _logger.LogError(ex, "an SCTP event handler threw");
                }
            }
        }

        if (released)
        {
            SendOutbox(); // a window update the releases above may have queued
        }
    }

    private void Raise(SctpEvent e)
    {
        switch (e.Type)
        {
            case SctpEventType.Connected:
                _connected.TrySetResult();
                Connected?.Invoke(this, EventArgs.Empty);
                break;
            case SctpEventType.MessageReceived:
                RaiseMessage(e.Message, e.Rented);
                break;
            case SctpEventType.IncomingStreamsReset:
                IncomingStreamsReset?.Invoke(this, e.Streams!);
                break;
            case SctpEventType.OutgoingStreamsReset:
                OutgoingStreamsReset?.Invoke(this, e.Streams!);
                break;
            case SctpEventType.StreamsResetFailed:
                StreamsResetFailed?.Invoke(this, e.Streams!);
                break;
            case SctpEventType.BufferedAmountLow:
                BufferedAmountLow?.Invoke(this, e.StreamId);
                break;
            case SctpEventType.PeerError:
                PeerError?.Invoke(this, e);
                break;
            case SctpEventType.Closed:
                var info = e.CloseInfo!;
                Volatile.Write(ref _closeInfo, info);
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _connected.TrySetException(new SctpException(info));
                _ = _connected.Task.Exception;
                _closed.TrySetResult(info);
                Closed?.Invoke(this, info);
                break;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void ThrowIfUnusable()
    {
        ThrowIfDisposed();
        if (_closeInfo is { } info)
        {
            throw new SctpException(info);
        }
    }

    private void ThrowOnError(SctpSendStatus status, int length)
    {
        switch (status)
        {
            case SctpSendStatus.Success:
                return;
            case SctpSendStatus.ErrorMessageEmpty:
                throw new ArgumentException("SCTP cannot send an empty message (RFC 9260 §3.3.1); data channels send one byte with an 'empty' PPID instead (RFC 8831 §6.6).");
            case SctpSendStatus.ErrorMessageTooLarge:
                throw new ArgumentException($"The message ({length} bytes) exceeds the maximum message size ({Options.MaxMessageSize} bytes).");
            case SctpSendStatus.ErrorInvalidStream:
                throw new ArgumentException("The stream id is not below the negotiated number of outbound streams.");
            case SctpSendStatus.ErrorResourceExhaustion:
                throw new InvalidOperationException($"The send buffer is full ({Options.MaxSendBufferSize} bytes queued).");
            default:
                throw _closeInfo is { } info ? new SctpException(info) : new InvalidOperationException("The SCTP association is shutting down or closed.");
        }
    }
}
