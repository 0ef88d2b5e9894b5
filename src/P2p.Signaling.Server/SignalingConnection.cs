using System.Net.WebSockets;
using System.Text.Json;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Groups;
using P2p.Signaling.Server.Routing;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server;

/// <summary>
/// One client's WebSocket: a read loop that parses and answers its messages, a
/// <see cref="FrameSender"/> that is the only writer to the socket (one queue, one sender at a time,
/// so sends never overlap), and the relays this client is the target of (waiting for its answers).
/// </summary>
/// <remarks>
/// The read loop never waits for a relay's answer: a relay is checked, forwarded (queued to the
/// target in the order received) and the loop moves on. The target's answer arrives on the target's
/// own read loop, which queues it to the sender.
/// </remarks>
internal sealed class SignalingConnection : ISignalingPeer, IDisposable
{
    private readonly SignalingHub _hub;
    private readonly WebSocket _socket;
    private readonly long _id;
    private readonly SignalingServerOptions _options;
    private readonly FrameSender _sender;
    private readonly Lock _closeGate = new();
    private Task? _closing;

    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Groups this user is a member of; touched by the read loop only.
    private readonly HashSet<string> _groups = new(StringComparer.Ordinal);

    // Relays this user is the target of, by the id the server gave them on this connection.
    private readonly Lock _relayGate = new();
    private readonly Dictionary<long, PendingRelay> _pendingRelays = [];
    private readonly Queue<(long Deadline, long Id)> _relayDeadlines = new();
    private long _nextRelayId;
    private bool _closed;

    private int _outstandingRelays;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string? _closeDescription;
    private string? _userId;

    public SignalingConnection(SignalingHub hub, WebSocket socket, long id)
    {
        _hub = hub;
        _socket = socket;
        _id = id;
        _options = hub.Options;
        _sender = new FrameSender(socket, _ => Abort());
    }

    public string UserId => _userId ?? "";

    /// <summary>Completes when the connection has closed and cleaned up.</summary>
    public Task Completion => _completion.Task;

    private CancellationToken Token => _abort.Token;

    /// <summary>Runs the connection until the client closes it, it fails, or the server stops.</summary>
    public async Task RunAsync(string remote, CancellationToken requestAborted)
    {
        Log.ConnectionOpened(_hub.Logger, _id, remote);
        using var aborted = requestAborted.Register(static s => ((SignalingConnection)s!).Abort(), this);
        var reason = "the client closed the connection";
        try
        {
            using var reader = new WebSocketMessageReader(_options.MaxMessageSize);
            while (true)
            {
                var (kind, length) = await reader.ReceiveAsync(_socket, Token);
                if (kind == ReceivedMessageKind.Close)
                {
                    reason = _closeDescription ?? reason;
                    break;
                }

                switch (kind)
                {
                    case ReceivedMessageKind.Text:
                        await OnMessageAsync(reader.Buffer, length);
                        break;
                    case ReceivedMessageKind.TooLarge:
                        OnMessageTooLarge(reader.Buffer.AsSpan(0, length));
                        break;
                    default:
                        Reject(RequestId.Null, SignalingErrorCode.InvalidRequest, "Binary messages are not supported: send JSON-RPC as text.");
                        break;
                }

                reader.Trim();
            }
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
            reason = _closeDescription ?? "aborted";
        }
        catch (OperationCanceledException)
        {
            reason = "connection aborted";
        }
        catch (Exception ex) when (ex is WebSocketException or IOException)
        {
            reason = $"connection lost ({ex.Message})";
        }
        catch (Exception ex)
        {
            Log.Unexpected(_hub.Logger, _id, ex);
            reason = "internal error";
        }
        finally
        {
            await CleanupAsync();
            await CloseAsync();

            Log.ConnectionClosed(_hub.Logger, _id, _userId, reason);
            _completion.TrySetResult();
        }
    }

    /// <summary>Asks for an orderly close: queued messages go out, then a close frame with this status.</summary>
    public void RequestClose(WebSocketCloseStatus status, string description)
    {
        _closeStatus = status;
        _closeDescription = description;
        _ = CloseAsync();
    }

    /// <summary>Sends what is queued, then the close frame (once); aborts if that takes longer than the close timeout.</summary>
    private Task CloseAsync()
    {
        lock (_closeGate)
        {
            return _closing ??= CloseCoreAsync();
        }
    }

    private async Task CloseCoreAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.CloseTimeout);
            await _sender.CompleteAsync().WaitAsync(timeout.Token);
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(_closeStatus, _closeDescription, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            Abort();
        }
    }

    /// <summary>Aborts the socket at once (the read loop then cleans up).</summary>
    public void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    /// <summary>Releases the abort token source (after <see cref="RunAsync"/> finished).</summary>
    public void Dispose() => _abort.Dispose();

    // ---- sending ------------------------------------------------------------------------------

    /// <summary>Queues a frame for sending; takes ownership of it. A client too far behind is disconnected.</summary>
    private bool Enqueue(OutgoingFrame frame)
    {
        var queued = _sender.QueuedBytes + frame.Length;
        if (queued > _options.MaxSendQueueBytes)
        {
            frame.Release();
            Log.SlowConsumer(_hub.Logger, _id, _userId, queued);
            _closeDescription = "send queue limit exceeded";
            Abort();
            return false;
        }

        return _sender.TryEnqueue(frame);
    }

    // ---- receiving ----------------------------------------------------------------------------

    private ValueTask OnMessageAsync(byte[] buffer, int length)
    {
        var message = buffer.AsSpan(0, length);
        var status = JsonRpcFrame.TryParse(message, out var frame);
        if (status == JsonRpcParseStatus.ParseError)
        {
            Reject(RequestId.Null, SignalingErrorCode.ParseError, "Parse error: the message is not valid JSON.");
            return default;
        }

        if (status == JsonRpcParseStatus.InvalidRequest)
        {
            Reject(frame.Id.IsPresent ? frame.Id : RequestId.Null, SignalingErrorCode.InvalidRequest, "Invalid request: " + frame.Problem);
            return default;
        }

        if (frame.Kind == JsonRpcKind.Response)
        {
            OnRelayAnswer(message, in frame);
            return default;
        }

        if (frame.Params.IsPresent && frame.Params.Type != JsonTokenType.StartArray)
        {
            Reject(frame.Id, SignalingErrorCode.InvalidParams, "Invalid params: \"params\" must be a positional array.");
            return default;
        }

        if (frame.Method == JsonRpcMethod.Init)
        {
            OnInit(in frame);
            return default;
        }

        if (frame.Method is JsonRpcMethod.Unknown or JsonRpcMethod.MemberJoined or JsonRpcMethod.MemberLeft)
        {
            Reject(frame.Id, SignalingErrorCode.MethodNotFound, $"Method not found: '{frame.MethodName.GetString(message)}'.");
            return default;
        }

        if (_userId is null)
        {
            Reject(frame.Id, SignalingErrorCode.NotInitialized, "Call init first.");
            return default;
        }

        ValueTask work;
        try
        {
            work = frame.Method switch
            {
                JsonRpcMethod.Relay => OnRelay(buffer, length, frame),
                JsonRpcMethod.Create => OnCreateAsync(buffer, length, frame),
                JsonRpcMethod.Join => OnJoinAsync(buffer, length, frame),
                JsonRpcMethod.Leave => OnLeaveAsync(buffer, length, frame),
                _ => OnGetAsync(buffer, length, frame),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            OnFailure(frame.Id, ex);
            return default;
        }

        return work.IsCompletedSuccessfully ? default : GuardAsync(work, frame.Id);
    }

    /// <summary>A failing group store (or a bug) fails the one request with -32603, not the connection.</summary>
    private async ValueTask GuardAsync(ValueTask work, RequestId id)
    {
        try
        {
            await work;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            OnFailure(id, ex);
        }
    }

    private void OnFailure(in RequestId id, Exception exception)
    {
        Log.Unexpected(_hub.Logger, _id, exception);
        Reject(id, SignalingErrorCode.InternalError, "Internal error.");
    }

    private void OnInit(in JsonRpcFrame frame)
    {
        if (frame.ParamCount != 0)
        {
            Reject(frame.Id, SignalingErrorCode.InvalidParams, "Invalid params: init takes [].");
            return;
        }

        if (_userId is null)
        {
            // 128 random bits: a collision is practically impossible, but never hand out a taken id.
            do
            {
                _userId = InMemoryGroupStore.NewId();
            }
            while (!_hub.Peers.TryRegister(this));

            Log.Initialised(_hub.Logger, _id, _userId);
        }

        // init is idempotent: a second call returns the same id.
        Reply(frame.Id, static (id, self) => JsonRpcWriter.Result(id, self._userId!), this);
    }

    private async ValueTask OnCreateAsync(byte[] buffer, int length, JsonRpcFrame frame)
    {
        var capability = _options.DefaultCapability;
        if (frame.ParamCount > 1)
        {
            Reject(frame.Id, SignalingErrorCode.InvalidParams, "Invalid params: create takes [] or [capability].");
            return;
        }

        if (frame.ParamCount == 1 && frame.Param0.Type != JsonTokenType.Null)
        {
            if (!frame.Param0.TryGetInt32(buffer.AsSpan(0, length), out capability) || capability is < 0 or > 15)
            {
                Reject(frame.Id, SignalingErrorCode.InvalidParams, "Invalid params: capability must be an integer from 0 to 15.");
                return;
            }
        }

        if (_groups.Count >= _options.MaxGroupsPerConnection)
        {
            Reject(frame.Id, SignalingErrorCode.TooManyGroups, $"A connection may be a member of at most {_options.MaxGroupsPerConnection} groups.");
            return;
        }

        var groupId = await _hub.Store.CreateAsync(_userId!, capability, Token);
        _groups.Add(groupId);
        Log.GroupCreated(_hub.Logger, _userId!, groupId, capability);
        Reply(frame.Id, static (id, g) => JsonRpcWriter.Result(id, g), groupId);
    }

    private async ValueTask OnJoinAsync(byte[] buffer, int length, JsonRpcFrame frame)
    {
        if (!TryGetGroupIdParam(buffer, length, in frame, "join", out var groupId))
        {
            return;
        }

        if (!_groups.Contains(groupId) && _groups.Count >= _options.MaxGroupsPerConnection)
        {
            Reject(frame.Id, SignalingErrorCode.TooManyGroups, $"A connection may be a member of at most {_options.MaxGroupsPerConnection} groups.");
            return;
        }

        var change = await _hub.Store.JoinAsync(groupId, _userId!, Token);
        switch (change.Status)
        {
            case GroupOperationStatus.GroupNotFound:
                Reject(frame.Id, SignalingErrorCode.GroupNotFound, $"No group '{groupId}'.");
                return;
            case GroupOperationStatus.Done:
                _groups.Add(groupId);
                Log.Joined(_hub.Logger, _userId!, groupId);
                NotifyMembers(SignalingMethods.MemberJoined, groupId, change.OtherMembers);
                break;
            default:
                break; // already a member: true, and nobody is notified again
        }

        Reply(frame.Id, static (id, _) => JsonRpcWriter.ResultTrue(id), 0);
    }

    private async ValueTask OnLeaveAsync(byte[] buffer, int length, JsonRpcFrame frame)
    {
        if (!TryGetGroupIdParam(buffer, length, in frame, "leave", out var groupId))
        {
            return;
        }

        var change = await _hub.Store.LeaveAsync(groupId, _userId!, Token);
        switch (change.Status)
        {
            case GroupOperationStatus.GroupNotFound:
                _groups.Remove(groupId);
                Reject(frame.Id, SignalingErrorCode.GroupNotFound, $"No group '{groupId}'.");
                return;
            case GroupOperationStatus.NotMember:
                _groups.Remove(groupId);
                Reject(frame.Id, SignalingErrorCode.NotMember, $"Not a member of group '{groupId}'.");
                return;
            default:
                _groups.Remove(groupId);
                Log.Left(_hub.Logger, _userId!, groupId, change.GroupRemoved ? " (group removed)" : "");
                NotifyMembers(SignalingMethods.MemberLeft, groupId, change.OtherMembers);
                Reply(frame.Id, static (id, _) => JsonRpcWriter.ResultTrue(id), 0);
                return;
        }
    }

    /// <summary><c>get_members</c> and <c>get_group</c>: members only.</summary>
    private async ValueTask OnGetAsync(byte[] buffer, int length, JsonRpcFrame frame)
    {
        var name = frame.Method == JsonRpcMethod.GetGroup ? "get_group" : "get_members";
        if (!TryGetGroupIdParam(buffer, length, in frame, name, out var groupId))
        {
            return;
        }

        var group = await _hub.Store.GetAsync(groupId, Token);
        if (group is null)
        {
            Reject(frame.Id, SignalingErrorCode.GroupNotFound, $"No group '{groupId}'.");
            return;
        }

        if (!group.Members.Contains(_userId!))
        {
            Reject(frame.Id, SignalingErrorCode.NotMember, $"Not a member of group '{groupId}'.");
            return;
        }

        if (frame.Method == JsonRpcMethod.GetGroup)
        {
            Reply(frame.Id, static (id, g) => JsonRpcWriter.GroupResult(id, g.Id, g.Owner, g.Capability, g.Members), group);
        }
        else
        {
            Reply(frame.Id, static (id, g) => JsonRpcWriter.Result(id, g.Members), group);
        }
    }

    private bool TryGetGroupIdParam(byte[] buffer, int length, in JsonRpcFrame frame, string method, out string groupId)
    {
        groupId = (frame.ParamCount == 1 ? frame.Param0.GetString(buffer.AsSpan(0, length)) : null)!;
        if (groupId is null)
        {
            Reject(frame.Id, SignalingErrorCode.InvalidParams, $"Invalid params: {method} takes [groupId] (a string).");
            return false;
        }

        return true;
    }

    // ---- relays -------------------------------------------------------------------------------

    /// <summary>A relay from this client: check, forward, move on (the answer comes back via <see cref="CompleteRelay"/>).</summary>
    private ValueTask OnRelay(byte[] buffer, int length, JsonRpcFrame frame)
    {
        var message = buffer.AsSpan(0, length);
        var groupId = frame.Param0.GetString(message);
        var toUserId = frame.Param1.GetString(message);
        if (frame.ParamCount != 3 || groupId is null || toUserId is null)
        {
            Reject(frame.Id, SignalingErrorCode.InvalidParams, "Invalid params: relay takes [groupId, toUserId, data].");
            return default;
        }

        if (toUserId == _userId)
        {
            Reject(frame.Id, SignalingErrorCode.InvalidParams, "Invalid params: a relay must go to another member.");
            return default;
        }

        var check = _hub.Store.CheckRelayAsync(groupId, _userId!, toUserId, Token);
        if (check.IsCompletedSuccessfully)
        {
            ForwardRelay(check.Result, buffer, length, in frame, groupId, toUserId);
            return default;
        }

        return AwaitCheck(check, buffer, length, frame, groupId, toUserId);

        async ValueTask AwaitCheck(ValueTask<RelayRouteStatus> pending, byte[] buffer, int length, JsonRpcFrame frame, string groupId, string toUserId) =>
            ForwardRelay(await pending, buffer, length, in frame, groupId, toUserId);
    }

    private void ForwardRelay(RelayRouteStatus route, byte[] buffer, int length, in JsonRpcFrame frame, string groupId, string toUserId)
    {
        switch (route)
        {
            case RelayRouteStatus.GroupNotFound:
                Reject(frame.Id, SignalingErrorCode.GroupNotFound, $"No group '{groupId}'.");
                return;
            case RelayRouteStatus.SenderNotMember:
                Reject(frame.Id, SignalingErrorCode.NotMember, $"Not a member of group '{groupId}'.");
                return;
            case RelayRouteStatus.TargetNotMember:
                Reject(frame.Id, SignalingErrorCode.TargetUnavailable, $"User '{toUserId}' is not a member of group '{groupId}'.");
                return;
        }

        if (!_hub.Peers.TryGet(toUserId, out var target))
        {
            Reject(frame.Id, SignalingErrorCode.TargetUnavailable, $"User '{toUserId}' is not connected.");
            return;
        }

        var tracked = frame.Id.IsPresent;
        if (tracked && Interlocked.Increment(ref _outstandingRelays) > _options.MaxPendingRelaysPerConnection)
        {
            Interlocked.Decrement(ref _outstandingRelays);
            Reject(frame.Id, SignalingErrorCode.TooManyPendingRelays, $"At most {_options.MaxPendingRelaysPerConnection} relays may wait for answers at once.");
            return;
        }

        if (!target.TryForwardRelay(this, frame.Id, groupId, frame.Param2.Of(buffer.AsSpan(0, length))))
        {
            if (tracked)
            {
                Interlocked.Decrement(ref _outstandingRelays);
            }

            Reject(frame.Id, SignalingErrorCode.TargetUnavailable, $"User '{toUserId}' disconnected.");
        }
    }

    /// <inheritdoc />
    public bool TryForwardRelay(ISignalingPeer caller, in RequestId callerRequestId, string groupId, ReadOnlySpan<byte> data)
    {
        var relayId = Interlocked.Increment(ref _nextRelayId);
        var tracked = callerRequestId.IsPresent;
        var frame = JsonRpcWriter.ForwardedRelay(tracked ? RequestId.FromNumber(relayId) : RequestId.None, groupId, caller.UserId, data);
        lock (_relayGate)
        {
            if (_closed)
            {
                frame.Release();
                return false;
            }

            if (tracked)
            {
                var deadline = _hub.Time.GetTimestamp() + _hub.RelayTimeoutTicks;
                _pendingRelays.Add(relayId, new PendingRelay(caller, callerRequestId));
                _relayDeadlines.Enqueue((deadline, relayId));
            }
        }

        // Queued in the order the sender's read loop forwards them. If this connection is closing the
        // frame is dropped, and the close fails the tracked relay with TargetUnavailable.
        Enqueue(frame);
        return true;
    }

    /// <summary>An answer from this client to a relay the server forwarded to it.</summary>
    private void OnRelayAnswer(ReadOnlySpan<byte> message, in JsonRpcFrame frame)
    {
        PendingRelay relay = default;
        var found = false;
        lock (_relayGate)
        {
            if (frame.Id.TryGetInt64(out var relayId))
            {
                found = _pendingRelays.Remove(relayId, out relay);
            }

            // Answered relays leave their deadline entries behind; drop those at the head.
            while (_relayDeadlines.TryPeek(out var head) && !_pendingRelays.ContainsKey(head.Id))
            {
                _relayDeadlines.Dequeue();
            }
        }

        if (!found)
        {
            Log.UnmatchedAnswer(_hub.Logger, _id, frame.Id.ToString());
            return;
        }

        if (frame.Error.IsPresent && !JsonRpcFrame.IsValidErrorObject(frame.Error.Of(message)))
        {
            relay.Caller.FailRelay(relay.CallerRequestId, SignalingErrorCode.InternalError, "The relay's target answered with a malformed error object.");
            return;
        }

        var isError = frame.Error.IsPresent;
        relay.Caller.CompleteRelay(relay.CallerRequestId, isError, (isError ? frame.Error : frame.Result).Of(message));
    }

    /// <inheritdoc />
    public void CompleteRelay(in RequestId requestId, bool isError, ReadOnlySpan<byte> rawAnswer)
    {
        Interlocked.Decrement(ref _outstandingRelays);
        Enqueue(JsonRpcWriter.RawResponse(requestId, isError, rawAnswer));
    }

    /// <inheritdoc />
    public void FailRelay(in RequestId requestId, SignalingErrorCode code, string message)
    {
        Interlocked.Decrement(ref _outstandingRelays);
        Enqueue(JsonRpcWriter.Error(requestId, (int)code, message));
    }

    /// <inheritdoc />
    public void Notify(byte[] frame) => Enqueue(new OutgoingFrame(frame, frame.Length, pooled: false));

    /// <summary>Fails the relays to this client whose deadline has passed (called by the hub's timer).</summary>
    public void ExpireRelays(long now)
    {
        List<PendingRelay>? expired = null;
        lock (_relayGate)
        {
            // Deadlines are queued in forwarding order, so they are sorted: stop at the first live one not yet due.
            while (_relayDeadlines.TryPeek(out var head))
            {
                if (_pendingRelays.ContainsKey(head.Id))
                {
                    if (head.Deadline > now)
                    {
                        break;
                    }

                    _pendingRelays.Remove(head.Id, out var relay);
                    (expired ??= []).Add(relay);
                }

                _relayDeadlines.Dequeue();
            }
        }

        if (expired is null)
        {
            return;
        }

        var message = $"User '{_userId}' did not answer the relay within {_options.RelayTimeout.TotalSeconds:0.###} s.";
        foreach (var relay in expired)
        {
            relay.Caller.FailRelay(relay.CallerRequestId, SignalingErrorCode.RelayTimeout, message);
        }
    }

    private void OnMessageTooLarge(ReadOnlySpan<byte> prefix)
    {
        Log.TooLarge(_hub.Logger, _id, _options.MaxMessageSize);
        var (id, _, isResponse) = JsonRpcFrame.ScanPrefix(prefix);
        var text = $"Message too large: the limit is {_options.MaxMessageSize} bytes.";
        if (!isResponse)
        {
            Reject(id.IsPresent ? id : RequestId.Null, SignalingErrorCode.MessageTooLarge, text);
            return;
        }

        // An answer to a relay: its sender learns why no answer comes.
        PendingRelay relay = default;
        var found = false;
        lock (_relayGate)
        {
            if (id.TryGetInt64(out var relayId))
            {
                found = _pendingRelays.Remove(relayId, out relay);
            }
        }

        if (found)
        {
            relay.Caller.FailRelay(relay.CallerRequestId, SignalingErrorCode.MessageTooLarge, $"The target's answer was too large: the limit is {_options.MaxMessageSize} bytes.");
        }
    }

    // ---- replies and notifications ------------------------------------------------------------

    /// <summary>Sends a response built by <paramref name="build"/>, unless the request was a notification.</summary>
    private void Reply<TState>(in RequestId id, Func<RequestId, TState, OutgoingFrame> build, TState state)
    {
        if (id.IsPresent)
        {
            Enqueue(build(id, state));
        }
    }

    private void Reject(in RequestId id, SignalingErrorCode code, string message)
    {
        Log.Rejected(_hub.Logger, _id, (int)code, message);
        if (id.IsPresent)
        {
            Enqueue(JsonRpcWriter.Error(id, (int)code, message));
        }
    }

    private void NotifyMembers(string method, string groupId, IReadOnlyList<string> members)
    {
        if (members.Count == 0)
        {
            return;
        }

        var frame = JsonRpcWriter.Notification(method, groupId, _userId!).ToSharedArrayAndRelease();
        foreach (var member in members)
        {
            if (_hub.Peers.TryGet(member, out var peer))
            {
                peer.Notify(frame);
            }
        }
    }

    // ---- closing ------------------------------------------------------------------------------

    /// <summary>
    /// After the socket closed: relays waiting for this client fail at once (target gone), the user
    /// leaves every group (the other members get <c>member_left</c>) and is unregistered.
    /// </summary>
    private async Task CleanupAsync()
    {
        List<PendingRelay> orphaned;
        lock (_relayGate)
        {
            _closed = true;
            orphaned = [.. _pendingRelays.Values];
            _pendingRelays.Clear();
            _relayDeadlines.Clear();
        }

        foreach (var relay in orphaned)
        {
            relay.Caller.FailRelay(relay.CallerRequestId, SignalingErrorCode.TargetUnavailable, $"User '{_userId}' disconnected before answering.");
        }

        if (_userId is null)
        {
            return;
        }

        _hub.Peers.Unregister(this);
        foreach (var groupId in _groups)
        {
            try
            {
                var change = await _hub.Store.LeaveAsync(groupId, _userId, CancellationToken.None);
                if (change.Status == GroupOperationStatus.Done)
                {
                    Log.Left(_hub.Logger, _userId, groupId, change.GroupRemoved ? " (disconnected; group removed)" : " (disconnected)");
                    NotifyMembers(SignalingMethods.MemberLeft, groupId, change.OtherMembers);
                }
            }
            catch (Exception ex)
            {
                Log.Unexpected(_hub.Logger, _id, ex);
            }
        }

        _groups.Clear();
    }

    /// <summary>A relay this client is the target of: who sent it and under which id.</summary>
    private readonly record struct PendingRelay(ISignalingPeer Caller, RequestId CallerRequestId);
}
