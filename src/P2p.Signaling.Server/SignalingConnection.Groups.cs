using System.Text.Json;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Groups;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server;

/// <summary>A connection's group requests: <c>create</c>, <c>join</c>, <c>leave</c>, <c>get_members</c>, <c>get_group</c>, and the membership notifications they cause.</summary>
internal sealed partial class SignalingConnection
{
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

        if (!await AuthorizeCreateAsync(frame.Id, capability))
        {
            return;
        }

        var groupId = await _hub.Store.CreateAsync(_userId!, capability, Token);
        _groups.Add(groupId);
        _hub.Metrics.GroupCreated();
        Log.GroupCreated(_hub.Logger, _userId!, groupId, capability);
        Reply(frame.Id, static (id, g) => JsonRpcWriter.Result(id, g), groupId);
    }

    private async ValueTask OnJoinAsync(byte[] buffer, int length, JsonRpcFrame frame)
    {
        if (!TryGetGroupIdParam(buffer, length, in frame, "join", out var groupId))
        {
            return;
        }

        var member = _groups.Contains(groupId);
        if (!member && _groups.Count >= _options.MaxGroupsPerConnection)
        {
            Reject(frame.Id, SignalingErrorCode.TooManyGroups, $"A connection may be a member of at most {_options.MaxGroupsPerConnection} groups.");
            return;
        }

        // Re-joining a group this connection is already in asks nobody again.
        if (!member && !await AuthorizeJoinAsync(frame.Id, groupId))
        {
            return;
        }

        var change = await _hub.Store.JoinAsync(groupId, _userId!, Token);
        switch (change.Status)
        {
            case GroupOperationStatus.GroupNotFound:
                Reject(frame.Id, SignalingErrorCode.GroupNotFound, $"No group '{groupId}'.");
                return;
            case GroupOperationStatus.GroupFull:
                Reject(frame.Id, SignalingErrorCode.GroupFull, $"Group '{groupId}' is full: at most {_options.MaxMembersPerGroup} members.");
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

    private void NotifyMembers(string method, string groupId, IReadOnlyList<string> members) =>
        _hub.NotifyMembers(method, groupId, _userId!, members);
}
