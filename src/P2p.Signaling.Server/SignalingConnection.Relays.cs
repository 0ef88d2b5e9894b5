using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Groups;
using P2p.Signaling.Server.Routing;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server;

/// <summary>A connection's relays: those it sends (checked and forwarded to the target) and those it is the target of (<see cref="PendingRelayTable"/>), their answers, timeouts and failures.</summary>
internal sealed partial class SignalingConnection
{
    // Ids up to this length are looked up without making a string first (ours are 32 hex digits).
    private const int MaxInternedIdLength = 64;

    /// <summary>A relay from this client: check, forward, move on (the answer comes back via <see cref="CompleteRelay"/>).</summary>
    private ValueTask OnRelay(byte[] buffer, int length, JsonRpcFrame frame)
    {
        var message = buffer.AsSpan(0, length);
        var groupId = ReadGroupId(message, in frame.Param0);
        var toUserId = ReadUserId(message, in frame.Param1);
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

        if (_hub.Redis is { } redis && !_hub.Peers.TryGetLocal(toUserId, out _))
        {
            // A user on another instance (or nowhere): checked and published in one round trip that this loop does not wait for.
            if (TryCountPendingRelay(in frame))
            {
                redis.CheckAndPublishRelay(this, frame.Id, groupId, toUserId, frame.Param2.Of(message));
            }

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
        if (!TryCountPendingRelay(in frame))
        {
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

    /// <summary>A string naming one of this connection's groups as that group's id string (no new string); any other value read as usual.</summary>
    private string? ReadGroupId(ReadOnlySpan<byte> message, in JsonSlice slice)
    {
        Span<char> chars = stackalloc char[MaxInternedIdLength];
        return slice.TryGetChars(message, chars, out var written) && _groups.TryGet(chars[..written], out var id) ? id : slice.GetString(message);
    }

    /// <summary>A string naming a user connected here as that connection's user id string (no new string); any other value read as usual.</summary>
    private string? ReadUserId(ReadOnlySpan<byte> message, in JsonSlice slice)
    {
        Span<char> chars = stackalloc char[MaxInternedIdLength];
        return slice.TryGetChars(message, chars, out var written) && _hub.Peers.TryGetLocal(chars[..written], out var peer) ? peer.UserId : slice.GetString(message);
    }

    /// <summary>Counts a relay that waits for an answer (one with an id); false (answered -32007) when too many wait already.</summary>
    private bool TryCountPendingRelay(in JsonRpcFrame frame)
    {
        if (frame.Id.IsPresent && Interlocked.Increment(ref _outstandingRelays) > _options.MaxPendingRelaysPerConnection)
        {
            Interlocked.Decrement(ref _outstandingRelays);
            Reject(frame.Id, SignalingErrorCode.TooManyPendingRelays, $"At most {_options.MaxPendingRelaysPerConnection} relays may wait for answers at once.");
            return false;
        }

        return true;
    }

    /// <inheritdoc />
    public bool TryForwardRelay(ISignalingPeer caller, in RequestId callerRequestId, string groupId, ReadOnlySpan<byte> data)
    {
        var relayId = _relays.NextId();
        var tracked = callerRequestId.IsPresent;
        var frame = JsonRpcWriter.ForwardedRelay(tracked ? RequestId.FromNumber(relayId) : RequestId.None, groupId, caller.UserId, data);
        var now = _hub.Time.GetTimestamp();
        var accepted = tracked
            ? _relays.TryAdd(relayId, new PendingRelay(caller, callerRequestId, now), now + _hub.RelayTimeoutTicks)
            : _relays.IsOpen;
        if (!accepted)
        {
            frame.Release();
            return false;
        }

        // Queued in the order the sender's read loop forwards them. If this connection is closing the
        // frame is dropped, and the close fails the tracked relay with TargetUnavailable.
        _hub.Metrics.RelayForwarded(tracked);
        Enqueue(frame);
        return true;
    }

    /// <summary>An answer from this client to a relay the server forwarded to it.</summary>
    private void OnRelayAnswer(ReadOnlySpan<byte> message, in JsonRpcFrame frame)
    {
        if (!_relays.TryComplete(in frame.Id, out var relay))
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
        _hub.Metrics.RelayAnswered(relay.StartedAt, isError);
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
        _hub.Metrics.RelayFailed(code);
        Enqueue(JsonRpcWriter.Error(requestId, (int)code, message));
    }

    /// <inheritdoc />
    public void Notify(byte[] frame) => Enqueue(new OutgoingFrame(frame, frame.Length, pooled: false));

    /// <summary>Fails the relays to this client whose deadline has passed (called by the hub's timer).</summary>
    public void ExpireRelays(long now) =>
        _relays.FailExpired(now, static self => $"User '{self._userId}' did not answer the relay within {self._options.RelayTimeout.TotalSeconds:0.###} s.", this);
}
