using System.Runtime.CompilerServices;
using System.Text;
using P2p.WebRtc.Sctp;

namespace P2p.WebRtc.DataChannels;

/// <summary>
/// A WebRTC data channel (RFC 8831), close to the browser's <c>RTCDataChannel</c>: a bidirectional
/// stream of string and binary messages over one SCTP stream, ordered or not, reliable or partially
/// reliable. Created by <see cref="RtcPeerConnection.CreateDataChannel"/> or announced by the peer
/// through <see cref="RtcPeerConnection.DataChannel"/>.
/// </summary>
/// <remarks>
/// <para><see cref="Send(ReadOnlySpan{byte})"/> never blocks: it queues the message and returns, as in
/// the browser; <see cref="BufferedAmount"/> says how much is queued. <see cref="SendAsync"/> adds
/// back-pressure: when more than <see cref="MaxBufferedAmount"/> is queued it waits for
/// <see cref="BufferedAmountLow"/> first.</para>
/// <para>Events are raised on the connection's SCTP thread, in order; a handler that blocks holds up
/// every channel of the connection. Messages that arrive before the first <see cref="MessageReceived"/> handler are
/// held for it (see there).</para>
/// </remarks>
public sealed class RtcDataChannel
{
    /// <summary>The default of <see cref="BufferedAmountLowThreshold"/> (the browser's is 0; see <see cref="SendAsync"/>).</summary>
    public const long DefaultBufferedAmountLowThreshold = 1 << 20;

    /// <summary>The default of <see cref="MaxBufferedAmount"/>.</summary>
    public const long DefaultMaxBufferedAmount = 4 << 20;

    private readonly Lock _sync = new();
    private IDataChannelOwner? _owner;
    private RtcDataChannelState _state = RtcDataChannelState.Connecting;
    private long _lowThreshold = DefaultBufferedAmountLowThreshold;
    private TaskCompletionSource? _drained;
    private readonly DrainWaiter _drainWaiter = new();

    internal RtcDataChannel(string label, RtcDataChannelInit init, ushort? id)
    {
        Label = label;
        Protocol = init.Protocol;
        Ordered = init.Ordered;
        MaxRetransmits = init.MaxRetransmits;
        MaxPacketLifeTime = init.MaxPacketLifeTime;
        Negotiated = init.Negotiated;
        Priority = init.Priority;
        Id = id;
    }

    /// <summary>The channel opened: messages can be sent.</summary>
    public event EventHandler? Opened;

    /// <summary>The channel closed (by either side, or because the connection closed or failed).</summary>
    public event EventHandler? Closed;

    /// <summary>How many messages a channel holds for its first <see cref="MessageReceived"/> handler: 4,096.</summary>
    public const int MaxHeldMessages = 4096;

    /// <summary>How many bytes a channel holds for its first <see cref="MessageReceived"/> handler: 16 MiB.</summary>
    public const long MaxHeldBytes = 16 << 20;

    private readonly Lock _deliverLock = new();
    private EventHandler<RtcDataChannelMessageEventArgs>? _messageReceived;
    private RtcDataChannelLeaseHandler? _pooledMessageReceived;
    private Queue<RtcDataChannelMessageEventArgs>? _held;
    private long _heldBytes;

    /// <summary>
    /// A message arrived. Messages that arrive before the first handler is added (the peer may send the moment the
    /// channel opens, before the application has subscribed) are held, up to <see cref="MaxHeldMessages"/> and
    /// <see cref="MaxHeldBytes"/>, and raised to that first handler, in order, on the subscribing thread while it adds
    /// the handler; beyond those bounds a message is dropped and logged as a warning.
    /// </summary>
    public event EventHandler<RtcDataChannelMessageEventArgs>? MessageReceived
    {
        add
        {
            lock (_deliverLock)
            {
                _messageReceived += value;
                if (value is not null && TakeHeld() is { } held)
                {
                    while (held.TryDequeue(out var message))
                    {
                        value(this, message);
                    }
                }
            }
        }

        remove
        {
            lock (_deliverLock)
            {
                _messageReceived -= value;
            }
        }
    }

    /// <summary>
    /// A message arrived, handed over as a lease of a pooled buffer instead of an array of its own: the opt-in receive
    /// API that allocates nothing per message in the steady state. Dispose the lease once the message is consumed (see
    /// <see cref="RtcDataChannelMessageLease"/>); until then it counts against the connection's receive window.
    /// </summary>
    /// <remarks>
    /// Usually a channel has one handler of one kind. With handlers on both this event and
    /// <see cref="MessageReceived"/>, each message goes to both (the latter as an array copy; the lease alone then holds
    /// the receive window). Several handlers of this event share one lease: the first to dispose it ends it for all.
    /// Messages held for the first handler (see <see cref="MessageReceived"/>) go to the first handler of either event;
    /// as leases they are not pooled and already count as consumed.
    /// </remarks>
    public event RtcDataChannelLeaseHandler? PooledMessageReceived
    {
        add
        {
            lock (_deliverLock)
            {
                _pooledMessageReceived += value;
                if (value is not null && TakeHeld() is { } held)
                {
                    while (held.TryDequeue(out var message))
                    {
                        value(this, LeasedMessage.Lease(message.IsText, message.Data, null, pooled: false, default));
                    }
                }
            }
        }

        remove
        {
            lock (_deliverLock)
            {
                _pooledMessageReceived -= value;
            }
        }
    }

    /// <summary>Under <c>_deliverLock</c>: the messages held for the first handler, if any, which are no longer held.</summary>
    private Queue<RtcDataChannelMessageEventArgs>? TakeHeld()
    {
        var held = _held;
        _held = null;
        _heldBytes = 0;
        return held;
    }

    /// <summary><see cref="BufferedAmount"/> fell to <see cref="BufferedAmountLowThreshold"/> or below.</summary>
    public event EventHandler? BufferedAmountLow;

    /// <summary>The channel failed (e.g. the connection failed); <see cref="Closed"/> follows.</summary>
    public event EventHandler<Exception>? Error;

    /// <summary>The label given when the channel was created.</summary>
    public string Label { get; }

    /// <summary>The sub-protocol name (may be empty).</summary>
    public string Protocol { get; }

    /// <summary>The SCTP stream id; null until the DTLS role is known (RFC 8832 §6).</summary>
    public ushort? Id { get; internal set; }

    /// <summary>True when messages are delivered in order.</summary>
    public bool Ordered { get; }

    /// <summary>The retransmission limit of a partially reliable channel, or null.</summary>
    public int? MaxRetransmits { get; }

    /// <summary>The lifetime limit of a partially reliable channel, or null.</summary>
    public TimeSpan? MaxPacketLifeTime { get; }

    /// <summary>True when the application negotiated the channel (same id on both sides, no DCEP).</summary>
    public bool Negotiated { get; }

    /// <summary>The priority announced to the peer.</summary>
    public ushort Priority { get; }

    /// <summary>The channel's state.</summary>
    public RtcDataChannelState ReadyState
    {
        get
        {
            lock (_sync)
            {
                return _state;
            }
        }
    }

    /// <summary>Bytes queued for sending and not yet sent (RFC 8831 §6.6); see <see cref="FlushAsync"/> to wait for delivery.</summary>
    public long BufferedAmount => _owner is { } owner && Id is { } id ? owner.GetBufferedAmount(id) : 0;

    /// <summary>The level at or below which <see cref="BufferedAmountLow"/> fires (default 1 MiB).</summary>
    public long BufferedAmountLowThreshold
    {
        get => Volatile.Read(ref _lowThreshold);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _lowThreshold, value);
            if (_owner is { } owner && Id is { } id)
            {
                owner.SetBufferedAmountLowThreshold(id, value);
            }
        }
    }

    /// <summary>How much may be queued before <see cref="SendAsync"/> waits (default 4 MiB).</summary>
    public long MaxBufferedAmount { get; set; } = DefaultMaxBufferedAmount;

    /// <summary>The largest message this channel may send: the peer's <c>a=max-message-size</c>.</summary>
    public long MaxMessageSize => _owner?.RemoteMaxMessageSize ?? 65536;

    /// <summary>Sends a string message (UTF-8; PPID 51, or 56 when empty).</summary>
    /// <param name="text">The text.</param>
    /// <exception cref="InvalidOperationException">The channel is not open.</exception>
    /// <exception cref="ArgumentException">The message is larger than <see cref="MaxMessageSize"/>.</exception>
    public void Send(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var length = Encoding.UTF8.GetByteCount(text);
        var buffer = length <= 1024 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(text, buffer);
        SendCore(length == 0 ? DataChannelPpid.StringEmpty : DataChannelPpid.String, buffer);
    }

    /// <summary>Sends a binary message (PPID 53, or 57 when empty).</summary>
    /// <param name="data">The bytes.</param>
    /// <exception cref="InvalidOperationException">The channel is not open.</exception>
    /// <exception cref="ArgumentException">The message is larger than <see cref="MaxMessageSize"/>.</exception>
    public void Send(ReadOnlySpan<byte> data) =>
        SendCore(data.IsEmpty ? DataChannelPpid.BinaryEmpty : DataChannelPpid.Binary, data);

    /// <summary>
    /// Sends a binary message with back-pressure: while more than <see cref="MaxBufferedAmount"/>
    /// is queued, waits until <see cref="BufferedAmount"/> falls to <see cref="BufferedAmountLowThreshold"/>.
    /// </summary>
    /// <param name="data">The bytes.</param>
    /// <param name="cancellationToken">Cancels the wait (the message is then not sent).</param>
    /// <returns>A task that completes when the message is queued.</returns>
    /// <exception cref="InvalidOperationException">The channel is not open, or closed while waiting.</exception>
    /// <exception cref="ArgumentException">The message is larger than <see cref="MaxMessageSize"/>.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        while (BufferedAmount > MaxBufferedAmount)
        {
            // One sender's pause reuses the channel's DrainWaiter (nothing allocated per pause); other senders
            // waiting at the same time share a completion source.
            Task? drained = null;
            ValueTask wait;
            lock (_sync)
            {
                ThrowIfNotOpen();
                if (!_drainWaiter.TryBegin(cancellationToken, out wait))
                {
                    _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    drained = _drained.Task;
                }
            }

            if (drained is not null)
            {
                if (BufferedAmount > MaxBufferedAmount)
                {
                    await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (BufferedAmount <= MaxBufferedAmount)
            {
                _drainWaiter.Signal(null); // drained meanwhile: end our own wait
            }

            await wait.ConfigureAwait(false);
        }

        Send(data.Span);
    }

    /// <summary>
    /// Completes once every message sent so far has been delivered: sent and acknowledged by the peer's SCTP stack.
    /// The acknowledgement is the connection's (one SCTP association carries all its channels), so messages sent on its
    /// other channels meanwhile are waited for too, and so are messages sent on this one while waiting: stop sending first.
    /// <see cref="Close"/> and the connection's disposal do not wait for delivery; call this first when the last
    /// messages matter. Completes at once when the channel never opened (nothing can have been sent).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (what was sent is still delivered if the connection lives).</param>
    /// <returns>A task that completes when everything sent is acknowledged.</returns>
    /// <exception cref="InvalidOperationException">The connection closed before the peer acknowledged everything.</exception>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        IDataChannelOwner? owner;
        lock (_sync)
        {
            owner = _owner;
        }

        if (owner is null || Id is null)
        {
            return;
        }

        try
        {
            await owner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SctpException or ObjectDisposedException)
        {
            throw new InvalidOperationException($"The connection of {Label} closed before the peer acknowledged every message.", e);
        }
    }

    /// <summary>Closes the channel: resets its stream in both directions (RFC 8831 §6.7). Idempotent.</summary>
    public void Close()
    {
        IDataChannelOwner? owner;
        lock (_sync)
        {
            if (_state is RtcDataChannelState.Closing or RtcDataChannelState.Closed)
            {
                return;
            }

            owner = _owner;
            _state = owner is null || Id is null ? RtcDataChannelState.Closed : RtcDataChannelState.Closing;
        }

        if (owner is not null && Id is not null)
        {
            owner.Close(this);
        }
        else
        {
            OnClosed(null);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"data channel '{Label}' (id {Id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}, {ReadyState})";

    /// <summary>True once the peer acknowledged DATA_CHANNEL_OPEN (or for negotiated channels): unordered delivery may start (RFC 8832 §6).</summary>
    internal bool Acknowledged { get; set; }

    internal void Attach(IDataChannelOwner owner)
    {
        _owner = owner;
        if (Id is { } id)
        {
            owner.SetBufferedAmountLowThreshold(id, BufferedAmountLowThreshold);
        }
    }

    internal void OnOpen()
    {
        lock (_sync)
        {
            if (_state != RtcDataChannelState.Connecting)
            {
                return;
            }

            _state = RtcDataChannelState.Open;
        }

        Opened?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>The peer is resetting the stream: no more sending; <see cref="OnClosed"/> follows.</summary>
    internal void OnClosing()
    {
        lock (_sync)
        {
            if (_state is RtcDataChannelState.Connecting or RtcDataChannelState.Open)
            {
                _state = RtcDataChannelState.Closing;
            }
        }
    }

    internal void OnClosed(Exception? error)
    {
        TaskCompletionSource? drained;
        lock (_sync)
        {
            if (_state == RtcDataChannelState.Closed && error is null && _owner is not null)
            {
                return;
            }

            var wasClosed = _state == RtcDataChannelState.Closed;
            _state = RtcDataChannelState.Closed;
            drained = _drained;
            _drained = null;
            if (wasClosed && _owner is not null)
            {
                return;
            }
        }

        var closed = new InvalidOperationException($"The {this} closed.");
        _drainWaiter.Signal(closed);
        drained?.TrySetException(closed);
        if (error is not null)
        {
            Error?.Invoke(this, error);
        }

        Closed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>On the SCTP thread: raises <see cref="MessageReceived"/>, or holds the message until there is a handler.</summary>
    /// <param name="ppid">The message's payload protocol identifier.</param>
    /// <param name="payload">The message.</param>
    /// <param name="sctp">The association raising it (a handler may defer the message's consumption on it); null in tests.</param>
    /// <returns>False when the message was dropped: no handler yet and the held messages are at their bound.</returns>
    internal bool OnMessage(DataChannelPpid ppid, ReadOnlyMemory<byte> payload, SctpTransport? sctp = null) =>
        OnMessage(ppid, payload, null, sctp, out _);

    /// <summary>On the SCTP thread: raises the message to either event, or holds a copy until there is a handler.</summary>
    /// <param name="ppid">The message's payload protocol identifier.</param>
    /// <param name="payload">The message, over <paramref name="buffer"/> when it has one.</param>
    /// <param name="buffer">The pooled array under <paramref name="payload"/> (<see cref="MessageBufferPool"/>), or null when the payload is the receiver's already.</param>
    /// <param name="sctp">The association raising it; null in tests.</param>
    /// <param name="kept">True when <paramref name="buffer"/> went to a lease (whose disposal returns it to the pool).</param>
    /// <returns>False when the message was dropped: no handler yet and the held messages are at their bound.</returns>
    internal bool OnMessage(DataChannelPpid ppid, ReadOnlyMemory<byte> payload, byte[]? buffer, SctpTransport? sctp, out bool kept)
    {
        kept = false;
        var isText = ppid is DataChannelPpid.String or DataChannelPpid.StringEmpty or DataChannelPpid.StringPartial;
        var empty = ppid is DataChannelPpid.StringEmpty or DataChannelPpid.BinaryEmpty;
        if (empty)
        {
            payload = ReadOnlyMemory<byte>.Empty;
        }

        lock (_deliverLock)
        {
            var pooled = _pooledMessageReceived;
            var handler = _messageReceived;
            if (pooled is null && handler is null)
            {
                return Hold(new RtcDataChannelMessageEventArgs(isText, Own(payload, buffer)));
            }

            // The array handlers' copy first: a lease may be disposed (its buffer reused) as soon as it is handed over.
            var message = handler is null ? null : new RtcDataChannelMessageEventArgs(isText, Own(payload, buffer));
            if (pooled is not null)
            {
                var credit = sctp?.DeferCurrentMessage() ?? default;
                kept = buffer is not null;
                pooled(this, LeasedMessage.Lease(isText, payload, buffer, kept, credit));
            }

            if (message is not null)
            {
                // With a lease holding the window, the array handlers cannot defer it again (their credit is empty).
                message.Sctp = pooled is null ? sctp : null;
                message.Replayed = pooled is not null;
                try
                {
                    handler!(this, message);
                }
                finally
                {
                    message.Sctp = null;
                }
            }

            return true;
        }
    }

    /// <summary>The payload as an array of the receiver's own: a copy when it lies in a pooled buffer.</summary>
    private static ReadOnlyMemory<byte> Own(ReadOnlyMemory<byte> payload, byte[]? buffer) =>
        buffer is null || payload.IsEmpty ? payload : payload.ToArray();

    /// <summary>Holds a message for the first handler; false at the bound. Call under <see cref="_deliverLock"/>.</summary>
    private bool Hold(RtcDataChannelMessageEventArgs message)
    {
        _held ??= new Queue<RtcDataChannelMessageEventArgs>();
        if (_held.Count >= MaxHeldMessages || _heldBytes + message.Data.Length > MaxHeldBytes)
        {
            return false;
        }

        message.Replayed = true;
        _held.Enqueue(message); // the payload is an array of its own (Own)
        _heldBytes += message.Data.Length;
        return true;
    }

    internal void OnBufferedAmountLow()
    {
        TaskCompletionSource? drained;
        lock (_sync)
        {
            drained = _drained;
            _drained = null;
        }

        _drainWaiter.Signal(null);
        drained?.TrySetResult();
        BufferedAmountLow?.Invoke(this, EventArgs.Empty);
    }

    private void SendCore(DataChannelPpid ppid, ReadOnlySpan<byte> data)
    {
        IDataChannelOwner owner;
        lock (_sync)
        {
            ThrowIfNotOpen();
            owner = _owner!;
        }

        if (data.Length > owner.RemoteMaxMessageSize)
        {
            throw new ArgumentException($"A message of {data.Length} bytes exceeds the peer's maximum message size of {owner.RemoteMaxMessageSize} bytes (a=max-message-size).", nameof(data));
        }

        // RFC 8831 §6.6: an empty message is sent as one byte, which the receiver ignores.
        owner.Send(this, ppid, data.IsEmpty ? [0] : data);
    }

    private void ThrowIfNotOpen()
    {
        if (_state != RtcDataChannelState.Open)
        {
            throw new InvalidOperationException($"Cannot send on {Label}: the channel is {_state}.");
        }
    }
}
