using System.Security.Cryptography;
using System.Text.Json;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Tests.Support;

/// <summary>
/// A signaling "server" inside the process: the worked example of docs/custom-signaling.md. Members of
/// one hub find each other without any network.
/// </summary>
public sealed class InProcessSignalingHub
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, InProcessSignalingChannel> _users = [];
    private readonly Dictionary<string, (string Owner, int Capability, List<string> Members)> _groups = [];

    /// <summary>
    /// What <c>get_ice_servers</c> answers for a user id; null: the hub does not offer the method (a client's
    /// <see cref="ISignalingChannel.GetIceServersAsync"/> then fails with <see cref="SignalingErrorCode.MethodNotFound"/>).
    /// </summary>
    public Func<string, IReadOnlyList<IceServerPayload>>? IceServers { get; set; }

    /// <summary>A new client connection to this hub.</summary>
    public ISignalingChannel Connect() => new InProcessSignalingChannel(this);

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private sealed class InProcessSignalingChannel(InProcessSignalingHub hub) : ISignalingChannel
    {
        private readonly HashSet<string> _myGroups = [];

        public string? UserId { get; private set; }

        public bool IsClosed { get; private set; }

        public Func<RelayRequest, CancellationToken, ValueTask<JsonElement>>? RelayHandler { get; set; }

        public event EventHandler<SignalingMemberEventArgs>? MemberJoined;

        public event EventHandler<SignalingMemberEventArgs>? MemberLeft;

        public event EventHandler<SignalingClosedEventArgs>? Closed;

        public Task<string> InitAsync(CancellationToken cancellationToken = default)
        {
            lock (hub._gate)
            {
                ThrowIfClosed();
                UserId ??= NewId();
                hub._users[UserId] = this;
                return Task.FromResult(UserId);
            }
        }

        public Task<string> CreateGroupAsync(int? capability, CancellationToken cancellationToken = default)
        {
            lock (hub._gate)
            {
                var me = Me();
                var id = NewId();
                hub._groups[id] = (me, capability ?? 15, [me]);
                _myGroups.Add(id);
                return Task.FromResult(id);
            }
        }

        public Task JoinGroupAsync(string groupId, CancellationToken cancellationToken = default)
        {
            List<InProcessSignalingChannel> others;
            lock (hub._gate)
            {
                var me = Me();
                var group = Group(groupId);
                if (group.Members.Contains(me))
                {
                    return Task.CompletedTask;
                }

                others = [.. group.Members.Select(m => hub._users[m])];
                group.Members.Add(me);
                _myGroups.Add(groupId);
            }

            // Raised before join returns: the others hear of us before any relay from us reaches them.
            foreach (var other in others)
            {
                other.MemberJoined?.Invoke(other, new SignalingMemberEventArgs(groupId, UserId!));
            }

            return Task.CompletedTask;
        }

        public Task LeaveGroupAsync(string groupId, CancellationToken cancellationToken = default)
        {
            Leave(groupId);
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<string>> GetMembersAsync(string groupId, CancellationToken cancellationToken = default) =>
            Task.FromResult(GetGroup(groupId).Members);

        public Task<GroupInfo> GetGroupAsync(string groupId, CancellationToken cancellationToken = default) =>
            Task.FromResult(GetGroup(groupId));

        public Task<IReadOnlyList<IceServerPayload>> GetIceServersAsync(CancellationToken cancellationToken = default)
        {
            lock (hub._gate)
            {
                var me = Me();
                return hub.IceServers is { } servers
                    ? Task.FromResult(servers(me))
                    : throw new SignalingException(SignalingErrorCode.MethodNotFound, "Method not found: 'get_ice_servers'.");
            }
        }

        public async Task<JsonElement> RelayAsync(string groupId, string toUserId, JsonElement data, CancellationToken cancellationToken = default)
        {
            InProcessSignalingChannel target;
            lock (hub._gate)
            {
                var group = Group(groupId);
                if (!group.Members.Contains(Me()))
                {
                    throw new SignalingException(SignalingErrorCode.NotMember, $"Not a member of group '{groupId}'.");
                }

                if (!group.Members.Contains(toUserId) || !hub._users.TryGetValue(toUserId, out target!))
                {
                    throw new SignalingException(SignalingErrorCode.TargetUnavailable, $"User '{toUserId}' is not in group '{groupId}'.");
                }
            }

            var handler = target.RelayHandler ?? throw new SignalingException(SignalingErrorCode.NoRelayHandler, "The receiver has no relay handler.");
            await Task.Yield(); // like a network hop: never run the receiver on the caller's stack
            try
            {
                return await handler(new RelayRequest(groupId, UserId!, data.Clone()), cancellationToken);
            }
            catch (SignalingException)
            {
                throw;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new SignalingException(SignalingErrorCode.RelayHandlerFailed, "The receiver's relay handler failed.");
            }
        }

        public ValueTask DisposeAsync()
        {
            string[] groups;
            lock (hub._gate)
            {
                if (IsClosed)
                {
                    return ValueTask.CompletedTask;
                }

                IsClosed = true;
                groups = [.. _myGroups];
            }

            foreach (var groupId in groups)
            {
                Leave(groupId);
            }

            lock (hub._gate)
            {
                if (UserId is not null)
                {
                    hub._users.Remove(UserId);
                }
            }

            Closed?.Invoke(this, new SignalingClosedEventArgs("disposed", null));
            return ValueTask.CompletedTask;
        }

        private void Leave(string groupId)
        {
            List<InProcessSignalingChannel> others;
            lock (hub._gate)
            {
                var me = Me();
                var group = Group(groupId);
                if (!group.Members.Remove(me))
                {
                    throw new SignalingException(SignalingErrorCode.NotMember, $"Not a member of group '{groupId}'.");
                }

                _myGroups.Remove(groupId);
                if (group.Members.Count == 0)
                {
                    hub._groups.Remove(groupId);
                }

                others = [.. group.Members.Select(m => hub._users[m])];
            }

            foreach (var other in others)
            {
                other.MemberLeft?.Invoke(other, new SignalingMemberEventArgs(groupId, UserId!));
            }
        }

        private GroupInfo GetGroup(string groupId)
        {
            lock (hub._gate)
            {
                var group = Group(groupId);
                return group.Members.Contains(Me())
                    ? new GroupInfo(groupId, group.Owner, group.Capability, [.. group.Members])
                    : throw new SignalingException(SignalingErrorCode.NotMember, $"Not a member of group '{groupId}'.");
            }
        }

        private (string Owner, int Capability, List<string> Members) Group(string groupId) =>
            hub._groups.TryGetValue(groupId, out var group) ? group : throw new SignalingException(SignalingErrorCode.GroupNotFound, $"No group '{groupId}'.");

        private string Me()
        {
            ThrowIfClosed();
            return UserId ?? throw new SignalingException(SignalingErrorCode.NotInitialized, "Call InitAsync first.");
        }

        private void ThrowIfClosed()
        {
            if (IsClosed)
            {
                throw new SignalingException(SignalingErrorCode.ConnectionClosed, "The channel is closed.");
            }
        }
    }
}
