using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Routing;
using P2p.Signaling.WebSockets.Protocol;
using StackExchange.Redis;

namespace P2p.Signaling.Server.Redis;

/// <summary>
/// Delivery between instances: a user's channel carries relays, notifications and kicks to the instance holding its
/// connection (in order: one queue per channel); an instance's channel carries relay answers back to the sender's
/// instance, matched by a correlation number this instance tracks with a deadline.
/// </summary>
internal sealed partial class RedisBackplane
{
    /// <summary>Subscribes a user's channel; messages on it are handled one at a time, in order.</summary>
    public async Task<ChannelMessageQueue> SubscribeUserAsync(string userId)
    {
        var queue = await _subscriber.SubscribeAsync(Keys.UserChannel(userId)).ConfigureAwait(false);
        queue.OnMessage(message => OnUserMessage(userId, message));
        return queue;
    }

    /// <summary>Unsubscribes a user's channel. Never throws.</summary>
    public static async Task UnsubscribeAsync(ChannelMessageQueue queue)
    {
        try
        {
            await queue.UnsubscribeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // The subscription ends with the connection anyway.
        }
    }

    /// <summary>Records that a user is connected to this instance.</summary>
    public async Task SetLocationAsync(string userId)
    {
        var batch = _db.CreateBatch();
        var at = batch.StringSetAsync(Keys.UserLocation(userId), InstanceId);
        var member = batch.SetAddAsync(Keys.InstanceUsers(InstanceId), userId);
        batch.Execute();
        await Task.WhenAll(at, member).ConfigureAwait(false);
    }

    /// <summary>Forgets that a user is connected here (unless another instance has it now). Never throws.</summary>
    public async Task ClearLocationAsync(string userId)
    {
        try
        {
            await _db.ScriptEvaluateAsync(RedisLocationScripts.Clear, new
            {
                at = Keys.UserLocation(userId),
                users = Keys.InstanceUsers(InstanceId),
                me = (RedisValue)InstanceId,
                user = (RedisValue)userId,
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // A stale location only matters to a resume, which checks the instance's heartbeat.
        }
    }

    /// <summary>
    /// A relay from a local client to a user not connected here (or a stand-in's, <see cref="RemotePeer"/>): the membership check and the publish run as one script
    /// (one round trip, not awaited by the sender's read loop; Redis runs the scripts in the order they were sent, so
    /// relays keep their order). A refusal or a target connected nowhere fails the relay with the code the check gives.
    /// </summary>
    public void CheckAndPublishRelay(ISignalingPeer caller, in RequestId callerRequestId, string groupId, string targetUserId, ReadOnlySpan<byte> data)
    {
        long correlation = 0;
        if (callerRequestId.IsPresent)
        {
            var now = _time.GetTimestamp();
            correlation = _relays.NextId();
            _relays.TryAdd(correlation, new PendingRelay(caller, callerRequestId, now), now + _relayDeadlineTicks);
        }

        var message = new BackplaneMessage(BackplaneMessageKind.Relay, correlation, Instance: InstanceId, Group: groupId, From: caller.UserId, Payload: data.ToArray());
        Task<RedisResult> checkedAndPublished;
        try
        {
            checkedAndPublished = _db.ScriptEvaluateAsync(RedisGroupScripts.Relay, new
            {
                members = Keys.Members(groupId),
                group = Keys.Group(groupId),
                from = (RedisValue)caller.UserId,
                to = (RedisValue)targetUserId,
                channel = (RedisValue)Keys.UserChannelName(targetUserId),
                message = (RedisValue)message.Encode(),
            });
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            checkedAndPublished = Task.FromException<RedisResult>(ex);
        }

        _ = ObserveRelayAsync(checkedAndPublished, correlation, groupId, targetUserId);
    }

    private async Task ObserveRelayAsync(Task<RedisResult> checkedAndPublished, long correlation, string groupId, string targetUserId)
    {
        SignalingErrorCode code;
        string text;
        try
        {
            switch ((long)await checkedAndPublished.ConfigureAwait(false))
            {
                case > 0:
                    return;
                case 0:
                    (code, text) = (SignalingErrorCode.TargetUnavailable, $"User '{targetUserId}' is not connected.");
                    break;
                case -1:
                    (code, text) = (SignalingErrorCode.GroupNotFound, $"No group '{groupId}'.");
                    break;
                case -2:
                    (code, text) = (SignalingErrorCode.NotMember, $"Not a member of group '{groupId}'.");
                    break;
                default:
                    (code, text) = (SignalingErrorCode.TargetUnavailable, $"User '{targetUserId}' is not a member of group '{groupId}'.");
                    break;
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            ReportUnreachable(ex);
            (code, text) = (SignalingErrorCode.ServiceUnavailable, "Service unavailable: the signaling backplane (Redis) is unreachable; the relay was not forwarded. Retry later.");
        }

        if (correlation != 0 && _relays.TryComplete(RequestId.FromNumber(correlation), out var relay))
        {
            relay.Caller.FailRelay(relay.CallerRequestId, code, text);
        }
    }

    /// <summary>Publishes a notification frame to a user elsewhere (fire and forget: a user connected nowhere misses it, as locally).</summary>
    public void PublishNotification(string userId, byte[] frame) =>
        FireAndForget(Keys.UserChannel(userId), new BackplaneMessage(BackplaneMessageKind.Notify, Payload: frame));

    /// <summary>Sends a relay's answer or failure back to the sender's instance.</summary>
    public void PublishAnswer(string instanceId, BackplaneMessage message) => FireAndForget(Keys.InstanceChannel(instanceId), message);

    /// <summary>Asks the instance holding a user's connection to end it (a resume elsewhere takes the session over); returns how many instances heard it.</summary>
    public Task<long> KickAsync(string userId) =>
        _subscriber.PublishAsync(Keys.UserChannel(userId), new BackplaneMessage(BackplaneMessageKind.Kick, Instance: InstanceId).Encode());

    /// <summary>The instance another connection of a user is registered at (null: none, this one, or swept).</summary>
    public async Task<string?> LocationOfAsync(string userId)
    {
        var at = (string?)await _db.StringGetAsync(Keys.UserLocation(userId)).ConfigureAwait(false);
        return at is null or "-" || at == InstanceId ? null : at;
    }

    /// <summary>
    /// Takes over a user still registered at <paramref name="instanceId"/>, which no longer holds its connection (it failed,
    /// or lost Redis: it then closes that connection when it is back): returns the user's groups, or null when the user
    /// has moved meanwhile.
    /// </summary>
    public async Task<string[]?> TryAdoptAsync(string userId, string instanceId)
    {
        var moved = (long)await _db.ScriptEvaluateAsync(RedisLocationScripts.Adopt, new
        {
            at = Keys.UserLocation(userId),
            deadUsers = Keys.InstanceUsers(instanceId),
            users = Keys.InstanceUsers(InstanceId),
            dead = (RedisValue)instanceId,
            me = (RedisValue)InstanceId,
            user = (RedisValue)userId,
        }).ConfigureAwait(false);
        return moved == 1 ? await Groups.GroupsOfAsync(userId).ConfigureAwait(false) : null;
    }

    private void FireAndForget(RedisChannel channel, BackplaneMessage message)
    {
        try
        {
            _subscriber.Publish(channel, message.Encode(), CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            ReportUnreachable(ex);
        }
    }

    private void OnUserMessage(string userId, ChannelMessage received)
    {
        if (!BackplaneMessage.TryDecode((byte[])received.Message!, out var message))
        {
            RedisLog.Malformed(Logger, received.Channel.ToString());
            return;
        }

        switch (message.Kind)
        {
            case BackplaneMessageKind.Relay:
                var requestId = message.Correlation != 0 ? RequestId.FromNumber(message.Correlation) : RequestId.None;
                var caller = new RemoteCaller(this, message.Instance, message.From);
                if (!Hub.Peers.TryGetLocal(userId, out var target) || !target.TryForwardRelay(caller, requestId, message.Group, message.Payload.Span))
                {
                    caller.FailRelay(requestId, SignalingErrorCode.TargetUnavailable, $"User '{userId}' disconnected.");
                }

                break;
            case BackplaneMessageKind.Notify:
                if (Hub.Peers.TryGetLocal(userId, out var member))
                {
                    member.Notify(message.Payload.ToArray());
                }

                break;
            case BackplaneMessageKind.Kick when message.Instance != InstanceId:
                Hub.AbortConnection(userId);
                break;
        }
    }

    private void OnInstanceMessage(ChannelMessage received)
    {
        if (!BackplaneMessage.TryDecode((byte[])received.Message!, out var message)
            || message.Kind is not (BackplaneMessageKind.Answer or BackplaneMessageKind.Failure))
        {
            RedisLog.Malformed(Logger, received.Channel.ToString());
            return;
        }

        if (!_relays.TryComplete(RequestId.FromNumber(message.Correlation), out var relay))
        {
            return; // expired here already
        }

        if (message.Kind == BackplaneMessageKind.Answer)
        {
            relay.Caller.CompleteRelay(relay.CallerRequestId, message.IsError, message.Payload.Span);
        }
        else
        {
            relay.Caller.FailRelay(relay.CallerRequestId, (SignalingErrorCode)message.Code, message.Text);
        }
    }
}
