using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using P2p.Core.Framing;
using P2p.Core.Identity;
using P2p.Core.Mesh;
using P2p.Core.Transport;
using P2p.Core.Diagnostics;

namespace P2p.Core.Messaging;

/// <summary>
/// Group messaging over one connected <see cref="IMessageChannel"/>: frames out (split to the remote's
/// maximum message size), frames in (reassembled, capability-checked, handed to the group), and the
/// requests waiting for their replies.
/// </summary>
#pragma warning disable CA1001 // The semaphores never allocate a wait handle; nothing needs disposing.
internal sealed class LinkMessenger : IRequestAnswerer
#pragma warning restore CA1001
{
    /// <summary>
    /// How many split messages one sender may have partly sent on a channel at once. The receiver keeps at
    /// most <see cref="MaxPartialMessages"/> partial messages, so a compliant sender never exceeds it.
    /// </summary>
    private const int MaxSplitMessagesInFlight = 8;

    /// <summary>How many partial messages a receiver keeps per channel (docs/protocol.md).</summary>
    private const int MaxPartialMessages = 16;

    private readonly MeshGroup _group;
    private readonly Member _peer;
    private readonly IMessageChannel _channel;
    private readonly ILogger _logger;
    private readonly CancellationToken _lifetime;
    private readonly Action<Exception?> _onClosed;
    private readonly LinkFingerprints _fingerprints;
    private readonly int _frameSize;
    private readonly MessageReassembler _reassembler;
    /// <summary>How many finished <see cref="PendingRequest"/>s are kept for reuse.</summary>
    private const int MaxPooledRequests = 16;

    // Requests waiting for their answer, and finished ones kept for reuse; under the dictionary's lock.
    private readonly Dictionary<uint, PendingRequest> _pending = [];
    private readonly Stack<PendingRequest> _freeRequests = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly SemaphoreSlim _splitSlots = new(MaxSplitMessagesInFlight, MaxSplitMessagesInFlight);
    private Exception? _failure;
    private int _nextMessageId;

    public LinkMessenger(MeshGroup group, Member peer, IMessageChannel channel, LinkFingerprints fingerprints, ILogger logger, Action<Exception?> onClosed, CancellationToken lifetime)
    {
        _group = group;
        _fingerprints = fingerprints;
        _peer = peer;
        _channel = channel;
        _logger = logger;
        _onClosed = onClosed;
        _lifetime = lifetime;
        var remoteMax = channel.MaxMessageSize;
        if (remoteMax <= FrameHeader.Size)
        {
            throw new InvalidOperationException($"The remote's maximum message size ({remoteMax} bytes) cannot carry a {FrameHeader.Size}-byte frame header.");
        }

        _frameSize = Math.Min(remoteMax, group.Options.MaxFrameSize);
        _reassembler = new MessageReassembler(group.Options.MaxMessageSize, MaxPartialMessages);
    }

    /// <summary>The largest frame this side sends on the channel (the remote's maximum message size, at most <see cref="GroupOptions.MaxFrameSize"/>).</summary>
    public int FrameSize => _frameSize;

    /// <summary>The remote's maximum message size: the largest frame it accepts.</summary>
    public int RemoteMaxMessageSize => _channel.MaxMessageSize;

    /// <summary>Cancelled when the link this messenger belongs to ends.</summary>
    public CancellationToken Lifetime => _lifetime;

    /// <summary>Completes once the remote acknowledged every frame sent so far (<see cref="IMessageChannel.FlushAsync"/>).</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => _channel.FlushAsync(cancellationToken);

    /// <summary>How many requests wait for a reply (for tests).</summary>
    public int PendingRequestCount
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>
    /// Sends this side's Identity frame (docs/protocol.md, "Identity (extension)") when it has an identity key; does nothing
    /// otherwise. Called once, before anything else is sent on the channel.
    /// </summary>
    public async Task SendIdentityAsync()
    {
        if (_group.Options.Identity is not { Key: { } key } identity)
        {
            return;
        }

        var frame = IdentityHandshake.CreateFrame(key, identity.Name, _group.Id, _group.LocalId, _peer.Id, _fingerprints.Local, _fingerprints.Remote);
        await SendFrameAsync(frame, _lifetime).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads frames until the channel closes or the link ends. The first frame may be the peer's Identity frame: it is
    /// verified and put to the trust policy before anything else is read. When <paramref name="onIdentityAccepted"/> is
    /// given, identity is required: it is called once the peer's identity is accepted, and a missing or rejected identity
    /// ends the loop with an <see cref="IdentityException"/>.
    /// </summary>
    public async Task RunReceiveLoopAsync(Action? onIdentityAccepted = null)
    {
        Exception? error = null;
        try
        {
            await _group.Ready.WaitAsync(_lifetime).ConfigureAwait(false);
            var reader = _channel.Incoming;
            if (await HandshakeAsync(reader, onIdentityAccepted).ConfigureAwait(false))
            {
                while (true)
                {
                    // Awaited here, not through WaitToReadAsync: this loop's one state machine serves every wait.
                    bool more;
                    try
                    {
                        more = await reader.WaitToReadAsync(_lifetime).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !_lifetime.IsCancellationRequested)
                    {
                        throw new TransportClosedException(ex);
                    }

                    if (!more)
                    {
                        break;
                    }

                    while (reader.TryRead(out var frame))
                    {
                        await OnFrameAsync(frame).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (TransportClosedException ex)
        {
            error = ex.InnerException;
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            return; // the link ended: whoever ended it handles the rest
        }
        catch (ChannelClosedException ex)
        {
            error = ex.InnerException ?? ex;
        }
        catch (IdentityException ex)
        {
            _logger.LogWarning("Closing the connection to member {MemberId}: {Reason}", _peer.Id, ex.Message);
            error = ex;
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "The receive loop for member {MemberId} failed", _peer.Id);
            error = ex;
        }

        _onClosed(error);
    }

    /// <summary>
    /// Reads the first frame: the peer's identity when it is an Identity frame, otherwise an ordinary frame (or, when identity
    /// is required, a missing identity). Returns false when the channel closed first.
    /// </summary>
    private async Task<bool> HandshakeAsync(ChannelReader<ReadOnlyMemory<byte>> reader, Action? onIdentityAccepted)
    {
        var required = onIdentityAccepted is not null;
        ReadOnlyMemory<byte> first;
        if (required)
        {
            var timeout = _group.ServiceOptions.ConnectTimeout;
            using var deadline = new CancellationTokenSource(timeout, _group.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_lifetime, deadline.Token);
            try
            {
                if (!await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
                {
                    return false;
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !_lifetime.IsCancellationRequested)
            {
                throw Rejected(IdentityFailureReason.Missing, $"it sent no frame within {timeout}");
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_lifetime.IsCancellationRequested)
            {
                throw new TransportClosedException(ex);
            }
        }
        else if (!await WaitToReadAsync(reader).ConfigureAwait(false))
        {
            return false;
        }

        if (!reader.TryRead(out first))
        {
            return true; // nothing after all (never with a single reader): the main loop waits
        }

        if (!IsIdentityFrame(first.Span))
        {
            if (required)
            {
                throw Rejected(IdentityFailureReason.Missing, $"its first frame was not an Identity frame ({DescribeKind(first.Span)})");
            }

            await OnFrameAsync(first).ConfigureAwait(false);
            return true;
        }

        var identity = IdentityHandshake.Verify(
            first.Span, _group.Id, _peer.Id, _group.LocalId, _fingerprints.Remote, _fingerprints.Local, out var reason, out var problem);
        if (identity is null)
        {
            throw Rejected(reason, problem);
        }

        bool trusted;
        try
        {
            var policy = _group.Options.Identity?.TrustPolicy ?? IdentityTrustPolicies.AcceptAnyVerified;
            trusted = await policy.IsTrustedAsync(new IdentityTrustContext(_group.Id, _peer.Id, identity.Name, identity.KeyId, identity.PublicKey), _lifetime).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw Rejected(IdentityFailureReason.Refused, $"the trust policy failed: {ex.Message}", ex);
        }

        if (!trusted)
        {
            throw Rejected(IdentityFailureReason.Refused, $"name \"{identity.Name}\" with key {identity.KeyId}");
        }

        _peer.Identity = identity;
        _logger.LogInformation("Member {MemberId} proved identity \"{Name}\" (key {KeyId})", _peer.Id, identity.Name, identity.KeyId);
        onIdentityAccepted?.Invoke();
        return true;
    }

    private IdentityException Rejected(IdentityFailureReason reason, string problem, Exception? inner = null)
    {
        var what = reason switch
        {
            IdentityFailureReason.Missing => "missing",
            IdentityFailureReason.Malformed => "malformed",
            IdentityFailureReason.BadSignature => "bad signature",
            _ => "refused by the trust policy",
        };
        return new IdentityException(reason, $"The identity of member {_peer.Id} was not accepted ({what}): {problem}.", inner);
    }

    private static bool IsIdentityFrame(ReadOnlySpan<byte> frame) =>
        frame.Length > 0 && frame[0] >> 4 == FrameHeader.Version && (frame[0] & 0x0f) == (byte)FrameKind.Identity;

    private static string DescribeKind(ReadOnlySpan<byte> frame) =>
        FrameHeader.TryRead(frame, out var header) ? $"a {header.Kind} frame" : $"an unreadable frame of {frame.Length} bytes";

    /// <summary>Waits for a frame; the transport's failure (the reader's completion exception) becomes <see cref="TransportClosedException"/>.</summary>
    private async ValueTask<bool> WaitToReadAsync(ChannelReader<ReadOnlyMemory<byte>> reader)
    {
        try
        {
            return await reader.WaitToReadAsync(_lifetime).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_lifetime.IsCancellationRequested)
        {
            throw new TransportClosedException(ex);
        }
    }

    /// <summary>A new message id (broadcasts and requests share the counter; ids wrap).</summary>
    public uint NextMessageId() => (uint)Interlocked.Increment(ref _nextMessageId);

    /// <summary>Sends a request and waits for its reply or error (the caller bounds the wait through <paramref name="cancellationToken"/>).</summary>
    public ValueTask<ReadOnlyMemory<byte>> RequestAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        RequestAsync(data, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// Sends a request and waits for its reply or error, at most <paramref name="timeout"/> (then a
    /// <see cref="GroupException"/> with <see cref="GroupErrorCode.Timeout"/>). In the steady state it allocates nothing of
    /// its own: the awaitable, its deadline and this method's state are reused.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>> RequestAsync(ReadOnlyMemory<byte> data, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = NextMessageId();
        PendingRequest? pending;
        lock (_pending)
        {
            pending = _freeRequests.TryPop(out var free) ? free : null;
        }

        pending ??= new PendingRequest(_group.TimeProvider);
        pending.Start(timeout, cancellationToken);
        lock (_pending)
        {
            _pending[id] = pending;
        }

        try
        {
            if (Volatile.Read(ref _failure) is { } failure)
            {
                throw failure;
            }

            await SendAsync(FrameKind.Request, id, data, pending.Token).ConfigureAwait(false);
            return await new ValueTask<ReadOnlyMemory<byte>>(pending, pending.Version).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout != Timeout.InfiniteTimeSpan && pending.Token.IsCancellationRequested)
        {
            throw new GroupException(GroupErrorCode.Timeout, $"No reply from member {_peer.Id} within {timeout}.");
        }
        finally
        {
            var reusable = pending.Finish();
            lock (_pending)
            {
                if (_pending.TryGetValue(id, out var current) && current == pending)
                {
                    _pending.Remove(id);
                }

                if (reusable && _freeRequests.Count < MaxPooledRequests)
                {
                    _freeRequests.Push(pending);
                    pending = null;
                }
            }

            pending?.Dispose();
        }
    }

    /// <summary>Takes the request waiting for <paramref name="id"/>'s answer, if any.</summary>
    private PendingRequest? TakePending(uint id)
    {
        lock (_pending)
        {
            return _pending.Remove(id, out var pending) ? pending : null;
        }
    }

    /// <summary>Fails every waiting request (the link ended).</summary>
    public void FailAll(Exception error)
    {
        Volatile.Write(ref _failure, error);
        PendingRequest[] waiting;
        PendingRequest[] free;
        lock (_pending)
        {
            waiting = [.. _pending.Values];
            _pending.Clear();
            free = [.. _freeRequests];
            _freeRequests.Clear();
        }

        foreach (var pending in waiting)
        {
            pending.TrySetException(error);
        }

        foreach (var pending in free)
        {
            pending.Dispose(); // their deadlines' timers; requests still running return theirs to a pool nobody uses again
        }
    }

    /// <summary>
    /// Sends one message as one or more frames. When cancelled after some frames went out, a final empty
    /// fragment cuts the message short so that the receiver discards it (docs/protocol.md).
    /// </summary>
    public async Task SendAsync(FrameKind kind, uint messageId, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var count = MessageFragmenter.FrameCount(message.Length, _frameSize);
        if (count > 1)
        {
            await _splitSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(_frameSize, FrameHeader.Size + message.Length));
        var sent = 0;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var length = MessageFragmenter.WriteFrame(kind, messageId, message.Span, i, _frameSize, buffer);
                await SendFrameAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                sent++;
            }

            CoreMetrics.MessageSent(kind, relayed: false, message.Length);
        }
        catch (OperationCanceledException) when (sent > 0 && !_lifetime.IsCancellationRequested)
        {
            new FrameHeader(kind, Final: true, messageId, (uint)message.Length).Write(buffer);
            try
            {
                await SendFrameAsync(buffer.AsMemory(0, FrameHeader.Size), _lifetime).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or GroupException)
            {
                // The connection is going away: the receiver drops its partial message with it.
            }

            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (count > 1)
            {
                _splitSlots.Release();
            }
        }
    }

    /// <summary>
    /// Sends one whole frame as it is (route frames: docs/protocol.md, "Relayed members (extension)"), after the frames
    /// already queued. The caller may reuse <paramref name="frame"/>'s memory once this completes.
    /// </summary>
    public async Task SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _channel.SendAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new GroupException(GroupErrorCode.ConnectionLost, $"The connection to member {_peer.Id} failed while sending: {ex.Message}", ex);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task OnFrameAsync(ReadOnlyMemory<byte> frame)
    {
        if (IsIdentityFrame(frame.Span))
        {
            _logger.LogWarning("Dropped an Identity frame from member {MemberId} that was not its first frame", _peer.Id);
            return;
        }

        if (Routing.RouteFrame.IsRouteFrame(frame.Span))
        {
            await _group.Router.OnFrameAsync(_peer, this, frame).ConfigureAwait(false);
            return;
        }

        var status = _reassembler.AddOwned(frame, out var header, out var message);
        switch (status)
        {
            case ReassemblyStatus.Incomplete:
                return;
            case ReassemblyStatus.Complete:
                CoreMetrics.MessageReceived(header.Kind, relayed: false, message.Length);
                break;
            case ReassemblyStatus.TooLarge:
                if (header.Final)
                {
                    _logger.LogWarning(
                        "Dropped a {Kind} of {Length} bytes from member {MemberId}: larger than the limit of {Limit} bytes",
                        header.Kind, header.TotalLength, _peer.Id, _reassembler.MaxMessageSize);
                    if (header.Kind == FrameKind.Request)
                    {
                        SendErrorInBackground(header.MessageId, GroupErrorCode.TooLarge, $"The request ({header.TotalLength} bytes) exceeds the receiver's limit of {_reassembler.MaxMessageSize} bytes.");
                    }
                    else if (header.Kind is FrameKind.Reply or FrameKind.Error && TakePending(header.MessageId) is { } tooLarge)
                    {
                        tooLarge.TrySetException(new GroupException(GroupErrorCode.TooLarge, $"The reply from member {_peer.Id} ({header.TotalLength} bytes) exceeds the limit of {_reassembler.MaxMessageSize} bytes."));
                    }
                }

                return;
            case ReassemblyStatus.Malformed:
                _logger.LogWarning("Dropped a malformed or abandoned frame from member {MemberId} ({Length} bytes)", _peer.Id, frame.Length);
                return;
            default:
                _logger.LogWarning("Dropped a frame from member {MemberId}: too many partially received messages", _peer.Id);
                return;
        }

        switch (header.Kind)
        {
            case FrameKind.Broadcast:
                if (!CapabilityRules.MayBroadcast(_group.Capability, _peer.Id, _group.OwnerId))
                {
                    _logger.LogWarning("Dropped a broadcast from member {MemberId}: the group's capability {Capability} forbids it", _peer.Id, _group.Capability);
                    return;
                }

                await _group.EnqueueBroadcastAsync(_peer, message, _lifetime).ConfigureAwait(false);
                return;

            case FrameKind.Request:
                if (!CapabilityRules.MayUnicast(_group.Capability, _peer.Id, _group.LocalId, _group.OwnerId))
                {
                    _logger.LogWarning("Refused a request from member {MemberId}: the group's capability {Capability} forbids it", _peer.Id, _group.Capability);
                    SendErrorInBackground(header.MessageId, GroupErrorCode.Forbidden, $"The group's capability ({_group.Capability}) forbids unicast from {_peer.Id} to {_group.LocalId}.");
                    return;
                }

                await _group.RequestSlots.WaitAsync(_lifetime).ConfigureAwait(false);
                RequestInvoker.Dispatch(_group, _peer, header.MessageId, message, this, _logger, _group.Options.RunRequestHandlerInline, _lifetime);
                return;

            case FrameKind.Reply:
                if (TakePending(header.MessageId) is { } reply)
                {
                    reply.TrySetResult(message);
                }
                else
                {
                    _logger.LogDebug("Dropped a reply from member {MemberId} to request {RequestId}, which no longer waits", _peer.Id, header.MessageId);
                }

                return;

            case FrameKind.Error:
                var (code, text) = ErrorPayload.Decode(message.Span);
                if (TakePending(header.MessageId) is { } failed)
                {
                    failed.TrySetException(new GroupException(code, $"Member {_peer.Id} answered with an error ({code}): {text}", null, _peer.Id));
                }
                else
                {
                    _logger.LogDebug("Dropped an error from member {MemberId} to request {RequestId}, which no longer waits", _peer.Id, header.MessageId);
                }

                return;
        }
    }

    /// <inheritdoc/>
    public Task AnswerAsync(FrameKind kind, uint requestId, ReadOnlyMemory<byte> payload) => SendAsync(kind, requestId, payload, _lifetime);

    private void SendErrorInBackground(uint requestId, GroupErrorCode code, string message) =>
        _group.Work.Run(async () =>
        {
            try
            {
                await SendErrorAsync(requestId, code, message).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or GroupException)
            {
                _logger.LogDebug("Could not send an error reply to member {MemberId}: {Reason}", _peer.Id, ex.Message);
            }
        });

    private Task SendErrorAsync(uint requestId, GroupErrorCode code, string message) =>
        SendAsync(FrameKind.Error, requestId, ErrorPayload.Encode(code, message), _lifetime);

    /// <summary>The transport closed the channel with an error.</summary>
    private sealed class TransportClosedException(Exception inner) : Exception(inner.Message, inner);
}
