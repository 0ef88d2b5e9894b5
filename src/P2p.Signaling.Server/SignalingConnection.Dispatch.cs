using System.Text.Json;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Groups;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server;

/// <summary>A connection's requests: parsing, dispatch by method, <c>init</c>, replies and rejections.</summary>
internal sealed partial class SignalingConnection
{
    internal ValueTask OnMessageAsync(byte[] buffer, int length)
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
            var init = OnInitAsync(frame);
            return init.IsCompletedSuccessfully ? default : GuardAsync(init, frame.Id);
        }

        if (frame.Method == JsonRpcMethod.Resume)
        {
            return GuardAsync(OnResumeAsync(buffer, length, frame), frame.Id);
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
                JsonRpcMethod.Relay => TryAcquireRelay(in frame.Id) ? OnRelay(buffer, length, frame) : default,
                JsonRpcMethod.Create => OnCreateAsync(buffer, length, frame),
                JsonRpcMethod.Join => OnJoinAsync(buffer, length, frame),
                JsonRpcMethod.Leave => OnLeaveAsync(buffer, length, frame),
                JsonRpcMethod.GetIceServers => OnGetIceServers(in frame),
                JsonRpcMethod.GetResumeToken => OnGetResumeToken(in frame),
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
        if (exception is StackExchange.Redis.RedisException or TimeoutException)
        {
            Redis.RedisLog.CallFailed(_hub.Logger, _id, exception.Message);
            Reject(id, SignalingErrorCode.ServiceUnavailable, "Service unavailable: the signaling backplane (Redis) is unreachable, so the call may not have been carried out. Retry later.");
            return;
        }

        Log.Unexpected(_hub.Logger, _id, exception);
        Reject(id, SignalingErrorCode.InternalError, "Internal error.");
    }

    private async ValueTask OnInitAsync(JsonRpcFrame frame)
    {
        if (frame.ParamCount != 0)
        {
            Reject(frame.Id, SignalingErrorCode.InvalidParams, "Invalid params: init takes [].");
            return;
        }

        if (_userId is null)
        {
            // 128 random bits: a collision is practically impossible, but never hand out a taken id.
            try
            {
                do
                {
                    _userId = InMemoryGroupStore.NewId();
                }
                while (!await _hub.Peers.TryRegisterAsync(this));
            }
            catch
            {
                _userId = null;
                throw;
            }

            Log.Initialised(_hub.Logger, _id, _userId);
        }

        // init is idempotent: a second call returns the same id.
        Reply(frame.Id, static (id, self) => JsonRpcWriter.Result(id, self._userId!), this);
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
        if (_relays.TryComplete(in id, out var relay))
        {
            relay.Caller.FailRelay(relay.CallerRequestId, SignalingErrorCode.MessageTooLarge, $"The target's answer was too large: the limit is {_options.MaxMessageSize} bytes.");
        }
    }

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
            _hub.Metrics.ErrorSent(code);
            Enqueue(JsonRpcWriter.Error(id, (int)code, message));
        }
    }
}
