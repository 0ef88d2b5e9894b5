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

        var token = _hub.ResumeTokens.Issue(_userId!);
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

        if (!_hub.ResumeTokens.TryVerify(token, out var userId, out var problem))
        {
            RefuseResume(frame.Id, problem);
            return;
        }

        // The old connection may still be registered (the server has not noticed it died): end it; its
        // cleanup detaches the session, which this connection then takes over.
        if (_hub.Peers.TryGet(userId, out var peer) && peer is SignalingConnection old && old != this)
        {
            old.Abort();
            try
            {
                await old.Completion.WaitAsync(_options.CloseTimeout + TimeSpan.FromSeconds(1), Token);
            }
            catch (TimeoutException)
            {
                RefuseResume(frame.Id, "the session's previous connection did not end in time");
                return;
            }
        }

        if (_hub.Sessions.TryTake(userId, out var session))
        {
            _userId = userId;
            if (!_hub.Peers.TryRegister(this))
            {
                _userId = null;
                _hub.Sessions.Detach(session);
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
        if (!_hub.Peers.TryRegister(this))
        {
            _userId = null;
            RefuseResume(frame.Id, "the session is being resumed by another connection");
            return;
        }

        foreach (var (groupId, owner, capability) in claimed)
        {
            if (_groups.Count >= _options.MaxGroupsPerConnection)
            {
                break;
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

    private void RefuseResume(in RequestId id, string reason)
    {
        Log.ResumeRefused(_hub.Logger, _id, reason);
        if (id.IsPresent)
        {
            Enqueue(JsonRpcWriter.Error(id, (int)SignalingErrorCode.ResumeRefused, "resume refused: " + reason));
        }
    }

    /// <summary>Reads <c>[{"id","owner","capability"}, ...]</c>; owner and capability may be absent or null.</summary>
    private static bool TryParseResumeGroups(ReadOnlySpan<byte> json, out List<(string Id, string? Owner, int? Capability)> groups)
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
        catch (JsonException)
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
