using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using P2p.Core.Diagnostics;
using P2p.Core.Framing;
using P2p.Core.Messaging;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Mesh;

/// <summary>
/// A group membership: the mesh manager (one <see cref="PeerLink"/> per other member, driven by the
/// signaling events and relays) and the group messaging API.
/// </summary>
internal sealed class MeshGroup : IGroup, ILinkOwner
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, PeerLink> _links = new(StringComparer.Ordinal);
    private readonly HashSet<string> _departedWhileJoining = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Channel<(Member Sender, ReadOnlyMemory<byte> Data)> _inbound;
    private readonly Channel<Action> _events = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<Action> _routingEvents = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<MeshGroup, ValueTask> _onClosed;
    private readonly Func<IReadOnlyList<IceServerPayload>>? _iceServers;
    private readonly LogScope _scope;
    private readonly Member _local;
    private TaskCompletionSource _meshChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile GroupMessageHandler? _messageHandler;
    private volatile GroupRequestHandler? _requestHandler;
    private volatile string _ownerId = "";
    private volatile bool _signalingClosed;
    private GroupCapability _capability;
    private int _closing;

    public MeshGroup(
        string groupId,
        string localId,
        ISignalingChannel signaling,
        IPeerConnectionFactory factory,
        P2pOptions serviceOptions,
        GroupOptions options,
        Func<MeshGroup, ValueTask> onClosed,
        Func<IReadOnlyList<IceServerPayload>>? iceServers = null)
    {
        _iceServers = iceServers;
        Id = groupId;
        LocalId = localId;
        Signaling = signaling;
        Factory = factory;
        ServiceOptions = serviceOptions;
        Options = options;
        _onClosed = onClosed;
        Logger = serviceOptions.LoggerFactory.CreateLogger("P2p.Core.Group");
        _scope = new LogScope(groupId, null);
        _local = new Member(this, localId, isLocal: true);
        if (options.Identity?.Key is { } identityKey)
        {
            _local.Identity = new Identity.PeerIdentity(options.Identity.Name, identityKey.KeyId, identityKey.PublicKey);
        }

        _messageHandler = options.MessageHandler;
        _requestHandler = options.RequestHandler;
        RequestSlots = new SemaphoreSlim(options.MaxConcurrentRequests, options.MaxConcurrentRequests);
        _inbound = Channel.CreateBounded<(Member, ReadOnlyMemory<byte>)>(new BoundedChannelOptions(options.ReceiveQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Router = new Routing.Router(this);
        using (Logger.BeginScope(_scope))
        {
            Work.Run(DispatchBroadcastsAsync);
            Work.Run(RaiseEventsAsync);
            Work.Run(RunRoutingEventsAsync);
        }

        CoreMetrics.Track(this);
    }

    public string Id { get; }

    public string LocalId { get; }

    public string OwnerId => _ownerId;

    public GroupCapability Capability => _capability;

    public IPeer LocalMember => _local;

    public IReadOnlyCollection<IPeer> Members
    {
        get
        {
            lock (_gate)
            {
                return [.. _links.Values.Select(l => l.Member)];
            }
        }
    }

    public bool IsClosed => _closed.Task.IsCompleted;

    public GroupMessageHandler? MessageHandler
    {
        get => _messageHandler;
        set => _messageHandler = value;
    }

    public GroupRequestHandler? RequestHandler
    {
        get => _requestHandler;
        set => _requestHandler = value;
    }

    public event EventHandler<PeerEventArgs>? MemberJoined;

    public event EventHandler<PeerEventArgs>? MemberLeft;

    public event EventHandler<PeerStateChangedEventArgs>? MemberStateChanged;

    // ---- what the links and messengers use ------------------------------------------------------

    public ISignalingChannel Signaling { get; }

    public IPeerConnectionFactory Factory { get; }

    public IReadOnlyList<IceServerPayload> IceServers => _iceServers?.Invoke() ?? [];

    public P2pOptions ServiceOptions { get; }

    internal GroupOptions Options { get; }

    /// <inheritdoc />
    public Identity.IdentityOptions? Identity => Options.Identity;

    public ILogger Logger { get; }

    public TimeProvider TimeProvider => ServiceOptions.TimeProvider;

    public BackgroundWork Work { get; } = new();

    internal SemaphoreSlim RequestSlots { get; }

    public CancellationToken Lifetime => _lifetime.Token;

    /// <summary>Completes once owner and capability are known (frames are not read before).</summary>
    internal Task Ready => _ready.Task;

    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    public bool SignalingClosed => _signalingClosed;

    /// <summary>Relayed members: forwarding for others, and routes to members without a direct link.</summary>
    internal Routing.Router Router { get; }

    /// <summary>Test hook: a "modified peer" that skips the sender-side capability checks.</summary>
    internal bool BypassSenderChecks { get; set; }

    /// <summary>The link to a member (for tests).</summary>
    internal PeerLink? GetLink(string userId)
    {
        lock (_gate)
        {
            return _links.GetValueOrDefault(userId);
        }
    }

    /// <summary>Adds what the transport measures about each connected direct link (for <c>p2p.link.rtt</c> and <c>p2p.link.retransmissions</c>).</summary>
    internal void CollectLinkStatistics(List<PeerConnectionStatistics> into)
    {
        PeerLink[] links;
        lock (_gate)
        {
            links = [.. _links.Values];
        }

        foreach (var link in links)
        {
            if (link.GetStatistics() is { } statistics)
            {
                into.Add(statistics);
            }
        }
    }

    /// <summary>Adds the other members to <paramref name="counts"/>, indexed by <see cref="PeerState"/> (for <c>p2p.group.members</c>).</summary>
    internal void CountMembers(Span<long> counts)
    {
        lock (_gate)
        {
            foreach (var link in _links.Values)
            {
                counts[(int)link.Member.State]++;
            }
        }
    }

    // ---- membership -------------------------------------------------------------------------------

    /// <summary>
    /// Applies the group's description (<c>get_group</c>, or the creator's own knowledge): owner, capability,
    /// and a link to every other member. Members listed before this member joined earlier: this member offers
    /// to them. Members listed after it joined later: they offer.
    /// </summary>
    internal void Initialize(GroupInfo info)
    {
        _ownerId = info.Owner;
        _capability = (GroupCapability)info.Capability;
        var started = new List<PeerLink>();
        lock (_gate)
        {
            var self = PositionOf(info.Members, LocalId);
            for (var i = 0; i < info.Members.Count; i++)
            {
                var id = info.Members[i];
                if (i == self || _links.ContainsKey(id) || _departedWhileJoining.Contains(id))
                {
                    continue;
                }

                var link = new PeerLink(this, new Member(this, id, isLocal: false), weOffer: self < 0 || i < self);
                _links[id] = link;
                started.Add(link);
            }

            _departedWhileJoining.Clear();
        }

        using (Logger.BeginScope(_scope))
        {
            Logger.LogInformation(
                "Member of group {GroupId} as {LocalId} (owner {OwnerId}, capability {Capability}); connecting to {Count} members",
                Id, LocalId, info.Owner, _capability, started.Count);
            foreach (var link in started)
            {
                using (Logger.BeginScope(new LogScope(Id, link.Member.Id)))
                {
                    link.Start();
                }
            }
        }

        SignalMeshChanged();
        _ready.TrySetResult();
    }

    /// <summary>Where <paramref name="userId"/> is in the server's member list (its join order), or -1.</summary>
    private static int PositionOf(IReadOnlyList<string> members, string userId)
    {
        for (var i = 0; i < members.Count; i++)
        {
            if (string.Equals(members[i], userId, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    internal void OnMemberJoined(string userId)
    {
        if (string.Equals(userId, LocalId, StringComparison.Ordinal))
        {
            return;
        }

        PeerLink link;
        lock (_gate)
        {
            if (IsClosing || _links.ContainsKey(userId))
            {
                return;
            }

            _departedWhileJoining.Remove(userId);
            link = new PeerLink(this, new Member(this, userId, isLocal: false), weOffer: false);
            _links[userId] = link;
            Post(() => MemberJoined?.Invoke(this, new PeerEventArgs(link.Member)));
        }

        using (Logger.BeginScope(new LogScope(Id, userId)))
        {
            Logger.LogInformation("Member {MemberId} joined; waiting for its offer", userId);
            link.Start();
        }

        SignalMeshChanged();
    }

    internal void OnMemberLeft(string userId) => RemoveMember(userId, "it left the group");

    public void RemoveMember(string userId, string why)
    {
        PeerLink? link;
        lock (_gate)
        {
            if (!_ready.Task.IsCompleted)
            {
                _departedWhileJoining.Add(userId);
            }

            if (_links.Remove(userId, out link))
            {
                Post(() => MemberLeft?.Invoke(this, new PeerEventArgs(link.Member)));
            }
        }

        if (link is null)
        {
            return;
        }

        using (Logger.BeginScope(new LogScope(Id, userId)))
        {
            Logger.LogInformation("Member {MemberId} is gone: {Why}", userId, why);
            var reason = new GroupException(GroupErrorCode.NotConnected, $"Member {userId} is no longer in the group: {why}.");
            link.Remove(reason, raiseEvents: true);
            Router.OnMemberRemoved(link.Member, reason);
        }

        SignalMeshChanged();
    }

    /// <summary>After a relay to a member failed because the server no longer knows it: remove it if it is really gone.</summary>
    public async Task VerifyMemberAsync(string userId)
    {
        try
        {
            var members = await Signaling.GetMembersAsync(Id, Lifetime).ConfigureAwait(false);
            if (!members.Contains(userId, StringComparer.Ordinal))
            {
                RemoveMember(userId, "the signaling server no longer lists it");
            }
        }
        catch (Exception ex)
        {
            Logger.LogDebug("Could not check whether member {MemberId} is still in group {GroupId}: {Reason}", userId, Id, ex.Message);
        }
    }

    /// <summary>
    /// The signaling connection came back (resumed: same user id, same memberships). Interrupted links restart ICE at
    /// once. Then the membership is compared with the server's list, as notifications sent while this member could not
    /// hear them are lost: a member that is not connected and no longer listed left meanwhile and is removed; a listed
    /// member this one does not know joined meanwhile and is linked to (<see cref="AddMissedMembers"/>). Connected links
    /// are left alone: if their member left, their channel closes.
    /// </summary>
    internal void OnSignalingReconnected()
    {
        PeerLink[] links;
        lock (_gate)
        {
            links = [.. _links.Values];
        }

        var unconnected = new List<string>();
        foreach (var link in links)
        {
            link.NudgeRecovery();
            if (link.Member.DirectState is PeerState.Connecting or PeerState.Failed)
            {
                unconnected.Add(link.Member.Id);
            }
        }

        if (!_ready.Task.IsCompletedSuccessfully)
        {
            return; // still joining: get_group is yet to come and gives the whole list
        }

        Work.Run(async () =>
        {
            IReadOnlyList<string> members;
            try
            {
                members = await Signaling.GetMembersAsync(Id, Lifetime).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Logger.LogDebug("Could not compare the members of group {GroupId} with the server's after reconnecting: {Reason}", Id, ex.Message);
                return;
            }

            foreach (var id in unconnected)
            {
                if (!members.Contains(id, StringComparer.Ordinal))
                {
                    RemoveMember(id, "the signaling server no longer lists it");
                }
            }

            AddMissedMembers(members);
        });
    }

    /// <summary>
    /// Links to the members of the server's list (<paramref name="members"/>, in its order) this member does not know: they
    /// joined while its signaling connection was away, so their <c>member_joined</c> never arrived. The order rule of
    /// <see cref="Initialize"/> applies: this member offers to those listed before it — after a server restart the list
    /// follows the order of the resumes, and the server announced this member's resume to those already back, which
    /// wait for its offer — and waits for the offers of those listed after it (they joined later and offer).
    /// </summary>
    private void AddMissedMembers(IReadOnlyList<string> members)
    {
        var self = PositionOf(members, LocalId);
        if (self < 0)
        {
            return; // the server does not list this member (it is leaving, or its membership was lost): nothing to add to
        }

        var added = new List<(PeerLink Link, bool WeOffer)>();
        lock (_gate)
        {
            if (IsClosing)
            {
                return;
            }

            for (var i = 0; i < members.Count; i++)
            {
                var id = members[i];
                if (i == self || _links.ContainsKey(id))
                {
                    continue;
                }

                var link = new PeerLink(this, new Member(this, id, isLocal: false), weOffer: i < self);
                _links[id] = link;
                added.Add((link, i < self));
                Post(() => MemberJoined?.Invoke(this, new PeerEventArgs(link.Member)));
            }
        }

        foreach (var (link, weOffer) in added)
        {
            using (Logger.BeginScope(new LogScope(Id, link.Member.Id)))
            {
                Logger.LogInformation("Member {MemberId} joined while the signaling connection was away; {Action}", link.Member.Id,
                    weOffer ? "offering" : "waiting for its offer");
                link.Start();
            }
        }

        if (added.Count > 0)
        {
            SignalMeshChanged();
        }
    }

    internal void OnSignalingClosed()
    {
        _signalingClosed = true;
        PeerLink[] links;
        lock (_gate)
        {
            links = [.. _links.Values];
        }

        foreach (var link in links)
        {
            if (link.TryGetMessenger() is null)
            {
                RemoveMember(link.Member.Id, "the signaling connection closed before it was connected");
            }
        }
    }

    /// <summary>Handles a relay from another member of this group (offer or candidate).</summary>
    internal async ValueTask<JsonElement> OnRelayAsync(string fromUserId, JsonElement data, CancellationToken cancellationToken)
    {
        using var scope = Logger.BeginScope(new LogScope(Id, fromUserId));
        var type = RelayMessages.TypeOf(data);
        switch (type)
        {
            case SessionDescriptionPayload.OfferType:
                if (!RelayMessages.TryParseDescription(data, SessionDescriptionPayload.OfferType, out var offer))
                {
                    throw new SignalingException(SignalingErrorCode.InvalidParams, "Malformed offer: expected {\"type\":\"offer\",\"sdp\":\"...\"}.");
                }

                return await LinkForRelay(fromUserId).OnRemoteOfferAsync(offer, RelayMessages.IsIceRestart(data), cancellationToken).ConfigureAwait(false);

            case RelayMessages.RestartType:
                if (GetLink(fromUserId) is not { } restarting || !restarting.OnRestartRequested())
                {
                    throw new SignalingException((SignalingErrorCode)RelayMessages.NothingToRestartCode, $"User {LocalId} has no live connection to {fromUserId} in group {Id} that it could restart.");
                }

                return RelayMessages.True;

            case IceCandidatePayload.CandidateType:
                if (!RelayMessages.TryParseCandidate(data, out var candidate))
                {
                    throw new SignalingException(SignalingErrorCode.InvalidParams, "Malformed candidate: expected {\"type\":\"candidate\",\"candidate\":\"...\",\"sdpMid\":...,\"sdpMLineIndex\":...}.");
                }

                await LinkForRelay(fromUserId).OnRemoteCandidateAsync(candidate).ConfigureAwait(false);
                return RelayMessages.Null;

            default:
                Logger.LogWarning("Refused a relay of unknown type {Type} from member {MemberId}", type ?? "(none)", fromUserId);
                throw new SignalingException(SignalingErrorCode.InvalidParams, $"Unknown relay type '{type ?? "(none)"}': expected \"offer\", \"candidate\" or \"restart\".");
        }
    }

    /// <summary>The link a relay from <paramref name="userId"/> is for; a sender not known yet is a member that joined after us.</summary>
    private PeerLink LinkForRelay(string userId)
    {
        PeerLink link;
        lock (_gate)
        {
            if (IsClosing || _departedWhileJoining.Contains(userId) || string.Equals(userId, LocalId, StringComparison.Ordinal))
            {
                throw new SignalingException((SignalingErrorCode)RelayMessages.NotInGroupCode, $"User {LocalId} is not a member of group {Id} (or does not know {userId} in it).");
            }

            if (_links.TryGetValue(userId, out var existing))
            {
                return existing;
            }

            link = new PeerLink(this, new Member(this, userId, isLocal: false), weOffer: false);
            _links[userId] = link;
            Post(() => MemberJoined?.Invoke(this, new PeerEventArgs(link.Member)));
        }

        link.Start();
        SignalMeshChanged();
        return link;
    }

    /// <inheritdoc />
    public LinkMessenger CreateMessenger(Member member, IMessageChannel channel, LinkFingerprints fingerprints, Action<Exception?> onClosed, CancellationToken lifetime) =>
        new(this, member, channel, fingerprints, Logger, onClosed, lifetime);

    public void OnMemberStateChanged(Member member, PeerState previous, PeerState state, Exception? error)
    {
        var seenBefore = member.WithDirectState(previous);
        var seen = member.State;
        if (seenBefore != seen)
        {
            Post(() => MemberStateChanged?.Invoke(this, new PeerStateChangedEventArgs(member, seenBefore, seen, error)));
        }

        _routingEvents.Writer.TryWrite(() => Router.OnDirectStateChanged(member, previous, state));
        SignalMeshChanged();
    }

    /// <summary>The router started or stopped relaying for a member: tells the application when what it sees changes.</summary>
    internal void OnRelayChanged(Member member, string? relay)
    {
        PeerState before;
        PeerState after;
        lock (_gate)
        {
            before = member.State;
            member.Relay = relay;
            after = member.State;
        }

        if (before != after)
        {
            Post(() => MemberStateChanged?.Invoke(this, new PeerStateChangedEventArgs(member, before, after, after == PeerState.Relayed ? null : member.LastError)));
        }

        SignalMeshChanged();
    }

    // ---- messaging ----------------------------------------------------------------------------------

    public IPeer? GetMember(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        if (string.Equals(userId, LocalId, StringComparison.Ordinal))
        {
            return _local;
        }

        return GetLink(userId)?.Member;
    }

    public async Task<BroadcastResult> BroadcastAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        CheckSize(data.Length);
        if (!BypassSenderChecks && !CapabilityRules.MayBroadcast(Capability, LocalId, OwnerId))
        {
            throw new GroupException(GroupErrorCode.Forbidden, $"The group's capability ({Capability}) does not allow {LocalId} to broadcast{(CapabilityRules.MayBroadcast(Capability, OwnerId, OwnerId) ? " (only the owner may)" : "")}.");
        }

        PeerLink[] links;
        lock (_gate)
        {
            links = [.. _links.Values];
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        var sends = new List<(IPeer Peer, Task Send)>(links.Length);
        var failed = new List<BroadcastFailure>();
        foreach (var link in links)
        {
            var messenger = link.TryGetMessenger();
            if (messenger is null && link.Member.State == PeerState.Relayed && Router.Find(link.Member.Id) is { } relayed)
            {
                sends.Add((link.Member, relayed.SendAsync(FrameKind.Broadcast, relayed.NextMessageId(), data, linked.Token)));
                continue;
            }

            if (messenger is null)
            {
                failed.Add(new BroadcastFailure(link.Member, new GroupException(GroupErrorCode.NotConnected, $"Member {link.Member.Id} is not connected ({link.Member.State}).", link.Member.LastError)));
                continue;
            }

            sends.Add((link.Member, messenger.SendAsync(FrameKind.Broadcast, messenger.NextMessageId(), data, linked.Token)));
        }

        var delivered = new List<IPeer>(sends.Count);
        foreach (var (peer, send) in sends)
        {
            try
            {
                await send.ConfigureAwait(false);
                delivered.Add(peer);
            }
            catch (Exception ex)
            {
                failed.Add(new BroadcastFailure(peer, ex));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (failed.Count > 0)
        {
            Logger.LogDebug("Broadcast in group {GroupId} reached {Delivered} members; {Failed} could not be reached", Id, delivered.Count, failed.Count);
        }

        return new BroadcastResult(delivered, failed);
    }

    public Task<ReadOnlyMemory<byte>> UnicastAsync(string memberId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        // The usual case, a member connected directly and nobody tracing or timing requests: a small state machine around
        // the messenger's request. Everything else, errors included, goes the general way.
        if (memberId is not null && !IsClosing && data.Length <= Options.MaxMessageSize
            && !string.Equals(memberId, LocalId, StringComparison.Ordinal)
            && (BypassSenderChecks || CapabilityRules.MayUnicast(Capability, LocalId, memberId, OwnerId))
            && !CoreMetrics.RequestDurationEnabled && !CoreMetrics.Source.HasListeners()
            && GetLink(memberId)?.TryGetMessenger() is { } messenger)
        {
            return messenger.RequestAsync(data, Options.RequestTimeout, cancellationToken).AsTask();
        }

        return UnicastAnyWayAsync(memberId!, data, cancellationToken);
    }

    private async Task<ReadOnlyMemory<byte>> UnicastAnyWayAsync(string memberId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memberId);
        ThrowIfClosed();
        if (string.Equals(memberId, LocalId, StringComparison.Ordinal))
        {
            throw new ArgumentException("A member cannot unicast to itself.", nameof(memberId));
        }

        CheckSize(data.Length);
        if (!BypassSenderChecks && !CapabilityRules.MayUnicast(Capability, LocalId, memberId, OwnerId))
        {
            throw new GroupException(GroupErrorCode.Forbidden, $"The group's capability ({Capability}) does not allow unicast from {LocalId} to {memberId}.");
        }

        var started = CoreMetrics.RequestDurationEnabled ? TimeProvider.GetTimestamp() : 0;
        using var activity = CoreMetrics.Source.HasListeners() ? CoreMetrics.Source.StartActivity("p2p.unicast", System.Diagnostics.ActivityKind.Client) : null;
        activity?.SetTag(CoreMetrics.GroupIdTag, Id).SetTag(CoreMetrics.RemoteMemberTag, memberId).SetTag("p2p.message.size", data.Length);
        var relayedPath = false;
        try
        {
            var link = GetLink(memberId) ?? throw new GroupException(GroupErrorCode.NotMember, $"No member {memberId} in group {Id}.");
            ReadOnlyMemory<byte> reply;
            if (link.TryGetMessenger() is { } connectedLink)
            {
                // The usual case, connected directly: the messenger bounds the request by RequestTimeout itself, with
                // reused state instead of two token sources per request (leaving ends the link, which fails the request).
                reply = await connectedLink.RequestAsync(data, Options.RequestTimeout, cancellationToken).ConfigureAwait(false);
                CoreMetrics.RequestEnded(TimeProvider, started, CoreMetrics.RequestOutcome.Ok, relayed: false);
                activity?.SetTag(CoreMetrics.RequestOutcomeTag, CoreMetrics.TagValue(CoreMetrics.RequestOutcome.Ok)).SetTag(CoreMetrics.PathTag, CoreMetrics.PathValue(false));
                return reply;
            }

            using var timeout = new CancellationTokenSource(Options.RequestTimeout, TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _lifetime.Token);
            var connected = false;
            try
            {
                while (true)
                {
                    if (link.TryGetMessenger() is { } direct)
                    {
                        connected = true;
                        reply = await direct.RequestAsync(data, linked.Token).ConfigureAwait(false);
                        break;
                    }

                    var relayed = Router.Find(memberId);
                    if (link.Member.State == PeerState.Relayed && relayed is not null)
                    {
                        connected = true;
                        relayedPath = true;
                        reply = await relayed.RequestAsync(data, linked.Token).ConfigureAwait(false);
                        break;
                    }

                    if (relayed is not { IsReachable: true })
                    {
                        // Not relayed and no route being looked for: wait for the direct link as before (fails at once when it failed).
                        var messenger = await link.WaitForMessengerAsync(linked.Token).ConfigureAwait(false);
                        connected = true;
                        reply = await messenger.RequestAsync(data, linked.Token).ConfigureAwait(false);
                        break;
                    }

                    await Task.WhenAny(link.Changed, relayed.Changed).WaitAsync(linked.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
            {
                throw new GroupException(
                    GroupErrorCode.Timeout,
                    connected
                        ? $"No reply from member {memberId} within {Options.RequestTimeout}."
                        : $"Member {memberId} did not connect within {Options.RequestTimeout}.");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _lifetime.IsCancellationRequested)
            {
                throw new GroupException(GroupErrorCode.GroupClosed, $"This member left group {Id}.");
            }

            CoreMetrics.RequestEnded(TimeProvider, started, CoreMetrics.RequestOutcome.Ok, relayedPath);
            activity?.SetTag(CoreMetrics.RequestOutcomeTag, CoreMetrics.TagValue(CoreMetrics.RequestOutcome.Ok)).SetTag(CoreMetrics.PathTag, CoreMetrics.PathValue(relayedPath));
            return reply;
        }
        catch (Exception ex)
        {
            var outcome = ex switch
            {
                GroupException { Code: GroupErrorCode.Timeout } => CoreMetrics.RequestOutcome.Timeout,
                OperationCanceledException => CoreMetrics.RequestOutcome.Cancelled,
                _ => CoreMetrics.RequestOutcome.Error,
            };
            CoreMetrics.RequestEnded(TimeProvider, started, outcome, relayedPath);
            if (activity is not null)
            {
                activity.SetTag(CoreMetrics.RequestOutcomeTag, CoreMetrics.TagValue(outcome)).SetTag(CoreMetrics.PathTag, CoreMetrics.PathValue(relayedPath));
                CoreMetrics.Fail(activity, ex);
            }

            throw;
        }
    }

    public async Task WhenAllConnectedAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _meshChanged).Task;
            ThrowIfClosed();
            bool done;
            lock (_gate)
            {
                done = _links.Values.All(l => l.Member.State is PeerState.Connected or PeerState.Relayed);
            }

            if (done)
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal async ValueTask EnqueueBroadcastAsync(Member sender, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await _inbound.Writer.WriteAsync((sender, data), cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Leaving: nobody will read it.
        }
    }

    // ---- leaving ----------------------------------------------------------------------------------

    public async Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            await _closed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        using var scope = Logger.BeginScope(_scope);
        Logger.LogInformation("Leaving group {GroupId}", Id);
        if (_ready.Task.IsCompletedSuccessfully)
        {
            await FlushLinksAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_ready.Task.IsCompletedSuccessfully && !_signalingClosed && !Signaling.IsClosed)
        {
            using var timeout = new CancellationTokenSource(ServiceOptions.LeaveTimeout, TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await Signaling.LeaveGroupAsync(Id, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Logger.LogWarning("The signaling server did not confirm leaving group {GroupId}: {Reason}", Id, ex.Message);
            }
        }

        await ShutdownAsync().ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(LeaveAsync(CancellationToken.None));

    /// <summary>
    /// Leaving, before the server and the others hear of it: waits (at most <see cref="P2pOptions.LeaveTimeout"/>) until
    /// every connected member acknowledged what this member sent it, as the others drop their connection to a member
    /// that left at once. New sends are refused already (<see cref="ThrowIfClosed"/>); interrupted members are not waited for.
    /// </summary>
    private async Task FlushLinksAsync(CancellationToken cancellationToken)
    {
        PeerLink[] links;
        lock (_gate)
        {
            links = [.. _links.Values];
        }

        var flushes = new List<Task>(links.Length);
        using var timeout = new CancellationTokenSource(ServiceOptions.LeaveTimeout, TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        foreach (var link in links)
        {
            if (link.Member.State == PeerState.Connected && link.TryGetMessenger() is { } messenger)
            {
                flushes.Add(messenger.FlushAsync(linked.Token));
            }
        }

        try
        {
            await Task.WhenAll(flushes).ConfigureAwait(false);
        }
        catch (Exception)
        {
            var unflushed = flushes.Count(f => !f.IsCompletedSuccessfully);
            Logger.LogWarning("Leaving group {GroupId}: {Count} members did not acknowledge everything sent to them{Reason}", Id, unflushed,
                timeout.IsCancellationRequested ? $" within {ServiceOptions.LeaveTimeout}" : cancellationToken.IsCancellationRequested ? " (leaving was cancelled)" : " (their connection closed)");
        }
    }

    /// <summary>Closes everything locally (after leaving, or when joining failed).</summary>
    internal async Task ShutdownAsync()
    {
        Volatile.Write(ref _closing, 1);
        PeerLink[] links;
        lock (_gate)
        {
            links = [.. _links.Values];
            _links.Clear();
        }

        var reason = new GroupException(GroupErrorCode.GroupClosed, $"This member left group {Id}.");
        foreach (var link in links)
        {
            link.Remove(reason, raiseEvents: false);
        }

        Router.Close(reason);
        CoreMetrics.Untrack(this);
        _routingEvents.Writer.TryComplete();

        await _lifetime.CancelAsync().ConfigureAwait(false);
        _ready.TrySetCanceled();
        _inbound.Writer.TryComplete();
        _events.Writer.TryComplete();
        SignalMeshChanged();
        if (!await Work.WhenIdleAsync(ServiceOptions.LeaveTimeout, TimeProvider).ConfigureAwait(false))
        {
            Logger.LogWarning("{Count} tasks of group {GroupId} were still running after {Timeout} (a handler that ignores its cancellation token?)", Work.Count, Id, ServiceOptions.LeaveTimeout);
        }

        Logger.LogInformation("Left group {GroupId}", Id);
        _closed.TrySetResult();
        await _onClosed(this).ConfigureAwait(false);
    }

    // ---- background loops ---------------------------------------------------------------------------

    private async Task DispatchBroadcastsAsync()
    {
        var reader = _inbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_lifetime.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var message))
                {
                    var handler = _messageHandler;
                    if (handler is null)
                    {
                        Logger.LogWarning("Dropped a broadcast from member {MemberId}: no message handler is set", message.Sender.Id);
                        continue;
                    }

                    try
                    {
                        await handler(message.Sender, message.Data, _lifetime.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception ex)
                    {
                        Logger.LogError(ex, "The message handler failed for a broadcast from member {MemberId}", message.Sender.Id);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            // Left the group.
        }
    }

    private async Task RaiseEventsAsync()
    {
        var reader = _events.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var raise))
            {
                try
                {
                    raise();
                }
                catch (Exception ex)
                {
                    Logger.LogError(ex, "An event handler of group {GroupId} failed", Id);
                }
            }
        }
    }

    /// <summary>Runs the router's reactions to state changes one at a time, in order, outside every lock.</summary>
    private async Task RunRoutingEventsAsync()
    {
        var reader = _routingEvents.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var react))
            {
                try
                {
                    react();
                }
                catch (Exception ex)
                {
                    Logger.LogError(ex, "Routing failed to react to a state change in group {GroupId}", Id);
                }
            }
        }
    }

    private void Post(Action raise) => _events.Writer.TryWrite(raise);

    private void SignalMeshChanged() => Interlocked.Exchange(ref _meshChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private void CheckSize(int length)
    {
        if (length > Options.MaxMessageSize)
        {
            throw new GroupException(GroupErrorCode.TooLarge, $"The message ({length} bytes) exceeds the group's limit of {Options.MaxMessageSize} bytes.");
        }
    }

    private void ThrowIfClosed()
    {
        if (IsClosing)
        {
            throw new GroupException(GroupErrorCode.GroupClosed, $"This member left group {Id}.");
        }
    }
}
