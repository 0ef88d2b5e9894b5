using System.Text.Json;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Groups;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server;

/// <summary>
/// A connection's session continuity (a protocol extension): <c>get_resume_token</c>, and <c>resume</c>, which
/// makes a new connection take over a detached (or not yet noticed dead) session, or adopt one the server does
/// not know during its first grace period (after a restart).
/// </summary>
internal sealed partial class SignalingConnection
{
    private ValueTask OnGetResumeToken(in JsonRpcFrame frame)
    {
        if (frame.ParamCount != 0)
        {
            Reject(frame.Id, SignalingErrorCode.InvalidParams, "Invalid params: get_resume_token takes [].");
            return default;
        }

        if (_options.ResumeGracePeriod <= TimeSpan.Zero)
        {
            Reject(frame.Id, SignalingErrorCode.MethodNotFound, "Method not found: resuming is disabled on this server.");
            return default;
        }

        var token = _hub.ResumeTokens.Issue(_userId!, PrincipalKey);
        Reply(frame.Id, static (id, s) => JsonRpcWriter.ResumeTokenResult(id, s.token, (long)s.grace.TotalMilliseconds), (token, grace: _options.ResumeGracePeriod));
        return default;
    }

    private async ValueTask OnResumeAsync(byte[] buffer, int length, JsonRpcFrame frame)
    {
        var message = buffer.AsSpan(0, length);
        if (_userId is not null)
        {
            Reject(frame.Id, SignalingErrorCode.InvalidParams, "Invalid params: resume must be the first call on a connection (this one is already initialised).");
            return;
        }

        var token = frame.ParamCount == 2 ? frame.Param0.GetString(message) : null;
        if (token is null || frame.Param1.Type != JsonTokenType.StartArray || !TryParseResumeGroups(frame.Param1.Of(message), out var claimed))
        {
            Reject(frame.Id, SignalingErrorCode.InvalidParams,
                "Invalid params: resume takes [token, groups], groups an array of {\"id\":string,\"owner\":string|null,\"capability\":0..15|null}.");
            return;
        }

        if (_options.ResumeGracePeriod <= TimeSpan.Zero)
        {
            RefuseResume(frame.Id, "resuming is disabled on this server");
            return;
        }

        if (!_hub.ResumeTokens.TryVerify(token, out var userId, out var problem, PrincipalKey))
        {
            RefuseResume(frame.Id, problem);
            return;
        }

        var session = await TakeOverSessionAsync(userId);
        if (session is not null)
        {
            _userId = userId;
            bool taken;
            try
            {
                taken = await _hub.Peers.TryRegisterAsync(this);
            }
            catch
            {
                // The backplane failed: park the session again (if it can) so a later resume finds it.
                _userId = null;
                await _hub.Sessions.DetachAsync(session);
                throw;
            }

            if (!taken)
            {
                _userId = null;
                await _hub.Sessions.DetachAsync(session);
                RefuseResume(frame.Id, "the session is being resumed by another connection");
                return;
            }

            _groups.UnionWith(session.Groups);
            Log.Resumed(_hub.Logger, _id, userId, _groups.Count, "");
            Reply(frame.Id, static (id, s) => JsonRpcWriter.ResumeResult(id, s._userId!, s._groups), this);
            return;
        }

        if (!_hub.InFirstGracePeriod)
        {
            RefuseResume(frame.Id, "unknown or expired session");
            return;
        }

        _userId = userId;
        bool registered;
        try
        {
            registered = await _hub.Peers.TryRegisterAsync(this);
        }
        catch
        {
            _userId = null;
            throw;
        }

        if (!registered)
        {
            _userId = null;
            RefuseResume(frame.Id, "the session is being resumed by another connection");
            return;
        }

        // A session cannot have been in more groups than MaxGroupsPerConnection: only that many claims are looked at, so one
        // message cannot ask the authorizer and the group store about every group id it can hold.
        foreach (var (groupId, owner, capability) in claimed.Take(_options.MaxGroupsPerConnection))
        {
            if (_groups.Count >= _options.MaxGroupsPerConnection)
            {
                break;
            }

            // The server does not know this session: each group it claims is a join the authorizer must allow.
            if (!await AuthorizeJoinAsync(RequestId.None, groupId))
            {
                continue;
            }

            var change = await _hub.Store.RestoreAsync(groupId, owner ?? userId, capability ?? _options.DefaultCapability, userId, Token);
            if (change.Status is GroupOperationStatus.Done or GroupOperationStatus.Unchanged)
            {
                _groups.Add(groupId);
                NotifyMembers(SignalingMethods.MemberJoined, groupId, change.OtherMembers);
            }
        }

        Log.Resumed(_hub.Logger, _id, userId, _groups.Count, " (adopted after a server restart)");
        Reply(frame.Id, static (id, s) => JsonRpcWriter.ResumeResult(id, s._userId!, s._groups), this);
    }

    /// <summary>
    /// Finds the session of <paramref name="userId"/> and takes it over: a detached one (here or, with Redis, anywhere),
    /// one whose connection is still open (here or on another live instance: that connection is ended first and its
    /// cleanup detaches the session), or (with Redis) one left on an instance that failed. Null when there is none.
    /// </summary>
    private async Task<Sessions.DetachedSession?> TakeOverSessionAsync(string userId)
    {
        var waitForOld = _options.CloseTimeout + TimeSpan.FromSeconds(1);
        if (_hub.Peers.TryGetLocal(userId, out var peer) && peer is SignalingConnection old && old != this)
        {
            old.Abort();
            try
            {
                await old.Completion.WaitAsync(waitForOld, Token);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
        else if (_hub.Redis is { } redis && await redis.LocationOfAsync(userId) is { } instance)
        {
            if (await redis.KickAsync(userId) > 0)
            {
                // Its instance ends the connection and detaches the session into Redis: wait for it to appear.
                var deadline = _hub.Time.GetTimestamp() + (long)(waitForOld.TotalSeconds * _hub.Time.TimestampFrequency);
                while (_hub.Time.GetTimestamp() < deadline)
                {
                    if (await _hub.Sessions.TryTakeAsync(userId) is { } moved)
                    {
                        return moved;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(20), _hub.Time, Token);
                }

                return null;
            }

            // Nobody holds its connection any more: its instance failed (or lost Redis) before its members were swept.
            if (await redis.TryAdoptAsync(userId, instance) is { } adopted)
            {
                return new Sessions.DetachedSession(userId, adopted);
            }
        }

        return await _hub.Sessions.TryTakeAsync(userId);
    }

    /// <summary>
    /// The authenticated identity a resume token is bound to: the name identifier (or <c>sub</c>, or name) of an
    /// authenticated connection; empty without authentication.
    /// </summary>
    private string PrincipalKey =>
        _user.Identity?.IsAuthenticated == true
            ? _user.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value ?? _user.FindFirst("sub")?.Value ?? _user.Identity.Name ?? ""
            : "";

    private void RefuseResume(in RequestId id, string reason)
    {
        Log.ResumeRefused(_hub.Logger, _id, reason);
        if (id.IsPresent)
        {
            Enqueue(JsonRpcWriter.Error(id, (int)SignalingErrorCode.ResumeRefused, "resume refused: " + reason));
        }
    }

    /// <summary>
    /// Reads <c>[{"id","owner","capability"}, ...]</c>; owner and capability may be absent or null. False for anything
    /// else, including well-formed JSON that no string can hold (an escaped lone surrogate in a name or a value).
    /// </summary>
    internal static bool TryParseResumeGroups(ReadOnlySpan<byte> json, out List<(string Id, string? Owner, int? Capability)> groups)
    {
        groups = [];
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                    || !TryGetOptional(item, "owner", JsonValueKind.String, out var owner)
                    || !TryGetOptional(item, "capability", JsonValueKind.Number, out var capability))
                {
                    return false;
                }

                int? bits = null;
                if (capability is { } c)
                {
                    if (!c.TryGetInt32(out var value) || value is < 0 or > 15)
                    {
                        return false;
                    }

                    bits = value;
                }

                groups.Add((id.GetString()!, owner?.GetString(), bits));
            }

            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryGetOptional(JsonElement item, string name, JsonValueKind kind, out JsonElement? value)
    {
        value = null;
        if (!item.TryGetProperty(name, out var found) || found.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        value = found;
        return found.ValueKind == kind;
    }
}
