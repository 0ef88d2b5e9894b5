using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using P2p.Core.Framing;
using P2p.Core.Identity;
using P2p.Core.Mesh;
using P2p.Core.Messaging;
using P2p.Core.Diagnostics;

namespace P2p.Core.Routing;

/// <summary>
/// This member's relayed exchange with one other member (docs/protocol.md, "Relayed members (extension)"): finding a
/// route (probes through every connected member; the first answer wins), sending messages through it until each is
/// acknowledged (again through another route when one breaks), and receiving what the member relays to this one.
/// </summary>
/// <remarks>Locking: <see cref="_gate"/> is never held while sending or awaiting.</remarks>
#pragma warning disable CA1001 // Disposed in Close: the lifetime source; the semaphore never allocates a wait handle.
internal sealed partial class RelayedPeer
#pragma warning restore CA1001
{
    private readonly Router _router;
    private readonly Lock _gate = new();
    private readonly RelayedInbox _inbox;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Dictionary<uint, TaskCompletionSource> _unacked = [];
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<ReadOnlyMemory<byte>>> _requests = new();
    private readonly Dictionary<uint, (string Relay, long SentAt)> _probes = [];
    /// <summary>Relays caught altering a message to this member: never used for it again.</summary>
    private readonly HashSet<string> _suspects = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _lifetime;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly OneShotTimer _timer;
    private string? _relay;
    private long _routeVersion;
    private bool _looking;
    private bool _wanted;
    private Exception? _refusal;
    private GroupException? _closed;
    private ECDsa? _peerKey;
    private byte[]? _proof;
    private int _nextSeq;
    private int _nextMessageId;

    public RelayedPeer(Router router, Member member)
    {
        _router = router;
        Member = member;
        _inbox = new RelayedInbox(router.Group.Options.MaxMessageSize);
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(router.Group.Lifetime);
        _timer = new OneShotTimer(router.Group.Work, router.Group.TimeProvider, _lifetime.Token);
    }

    /// <summary>The other member.</summary>
    public Member Member { get; }

    /// <summary>The member relaying for this one, when a route is known.</summary>
    public string? Relay
    {
        get
        {
            lock (_gate)
            {
                return _relay;
            }
        }
    }

    private MeshGroup Group => _router.Group;

    private ILogger Logger => Group.Logger;

    /// <summary>A new id for a relayed broadcast or request to this member.</summary>
    public uint NextMessageId() => (uint)Interlocked.Increment(ref _nextMessageId);

    /// <summary>The direct link failed: use the route known, or look for one (and keep looking while there is none).</summary>
    public void StartLooking()
    {
        string? relay;
        lock (_gate)
        {
            if (_closed is not null)
            {
                return;
            }

            _wanted = true;
            relay = _relay;
        }

        if (relay is not null)
        {
            Group.OnRelayChanged(Member, relay);
            return;
        }

        ProbeRound();
    }

    /// <summary>A member this one could relay through connected: look at once if a route is wanted and missing.</summary>
    public void OnRelayCandidate()
    {
        lock (_gate)
        {
            if (!_wanted || _relay is not null || _looking)
            {
                return;
            }
        }

        ProbeRound();
    }

    /// <summary>The direct link connected: new messages go direct (what is in flight through the relay completes there).</summary>
    public void OnDirectConnected()
    {
        lock (_gate)
        {
            _wanted = false;
            CancelTimerLocked();
        }

        Group.OnRelayChanged(Member, null);
    }

    /// <summary>
    /// The route through <paramref name="relayId"/> broke (its link is lost, it left, or it answered Unreachable): look for
    /// another. Dropping the route and starting the search are one step, so a sender never sees "no route, none looked for"
    /// in between.
    /// </summary>
    public void OnRelayLost(string relayId, string why)
    {
        var candidates = Candidates();
        List<(LinkMessenger Link, byte[] Frame)> sends = [];
        lock (_gate)
        {
            if (!string.Equals(_relay, relayId, StringComparison.Ordinal))
            {
                return;
            }

            _relay = null;
            _routeVersion++;
            if (_wanted && _closed is null && !_looking)
            {
                sends = StartRoundLocked(candidates);
            }

            SignalLocked();
        }

        CoreMetrics.RouteLost();
        Logger.LogInformation("The route to member {MemberId} through {Relay} is lost: {Why}", Member.Id, relayId, why);
        Group.OnRelayChanged(Member, null);
        SendProbes(sends);
    }

    /// <summary>Ends everything: waiting messages and requests fail with <paramref name="reason"/>.</summary>
    public void Close(GroupException reason)
    {
        TaskCompletionSource[] unacked;
        lock (_gate)
        {
            if (_closed is not null)
            {
                return;
            }

            _closed = reason;
            _relay = null;
            CancelTimerLocked();
            unacked = [.. _unacked.Values];
            SignalLocked();
            _peerKey?.Dispose();
            _peerKey = null;
        }

        foreach (var waiting in unacked)
        {
            waiting.TrySetException(reason);
        }

        foreach (var id in _requests.Keys)
        {
            if (_requests.TryRemove(id, out var request))
            {
                request.TrySetException(reason);
            }
        }

        _lifetime.Cancel();
    }

    /// <summary>A route frame from this member, forwarded to this one by <paramref name="relay"/>.</summary>
    public Task OnFrameAsync(Member relay, LinkMessenger link, ReadOnlyMemory<byte> frame)
    {
        if (!RouteFrame.TryRead(frame.Span, out var route, out _))
        {
            return Task.CompletedTask;
        }

        switch (route.Type)
        {
            case RouteFrameType.Probe when route.TryReadNumberAndField(out var probeId, out var proof):
                return OnProbeAsync(link, probeId, proof.ToArray());
            case RouteFrameType.ProbeReply when route.TryReadNumberAndField(out var probeId, out var proof):
                return OnProbeReplyAsync(relay.Id, probeId, proof.ToArray());
            case RouteFrameType.Ack when route.TryReadNumberAndField(out var seq, out var signature):
                OnAck(seq, signature);
                return Task.CompletedTask;
            case RouteFrameType.Unreachable when route.TryReadUnreachable(out var reference, out var reason):
                OnUnreachable(relay.Id, reference, reason);
                return Task.CompletedTask;
            case RouteFrameType.Data when route.TryReadData(out var seq, out var offset, out var signature, out var header, out var fragment):
                return OnData(link, seq, offset, signature, header, fragment);
            default:
                Logger.LogWarning("Dropped a malformed {Type} route frame from {Origin} through {Relay}", route.Type, Member.Id, relay.Id);
                return Task.CompletedTask;
        }
    }

    private void SignalLocked() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private void CancelTimerLocked() => _timer.Cancel();

    private void ArmTimerLocked(TimeSpan delay, Action action) => _timer.Arm(delay, action);

    private async Task<bool> TrustAsync(PeerIdentity identity)
    {
        try
        {
            var policy = Group.Options.Identity?.TrustPolicy ?? IdentityTrustPolicies.AcceptAnyVerified;
            return await policy.IsTrustedAsync(new IdentityTrustContext(Group.Id, Member.Id, identity.Name, identity.KeyId, identity.PublicKey), _lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Logger.LogWarning("The trust policy failed for member {MemberId}'s identity: {Reason}", Member.Id, ex.Message);
            return false;
        }
    }

    /// <summary>Checks a member's identity proof from a probe or its reply; returns the accepted identity (null when none was given), or a problem when it is not accepted.</summary>
    private async Task<(PeerIdentity? Identity, string? Problem)> CheckProofAsync(byte[] proof)
    {
        var required = Group.Options.Identity?.PeerIdentityRequired ?? false;
        if (proof.Length == 0)
        {
            return (null, required ? "it proved no identity" : null);
        }

        var identity = IdentityHandshake.VerifyRoutedProof(proof, Group.Id, Member.Id, Group.LocalId, out var reason, out var problem);
        if (identity is null)
        {
            return (null, $"{(reason == IdentityFailureReason.BadSignature ? "bad signature" : "malformed")}: {problem}");
        }

        if (!await TrustAsync(identity).ConfigureAwait(false))
        {
            return (null, $"name \"{identity.Name}\" with key {identity.KeyId} is refused by the trust policy");
        }

        return (identity, null);
    }

    private void AcceptIdentity(PeerIdentity identity)
    {
        lock (_gate)
        {
            AcceptIdentityLocked(identity);
        }
    }

    private void AcceptIdentityLocked(PeerIdentity identity)
    {
        if (Member.RoutedIdentity is { } known && known.PublicKey.Span.SequenceEqual(identity.PublicKey.Span) && _peerKey is not null)
        {
            return;
        }

        _peerKey?.Dispose();
        _peerKey = RouteSignatures.ImportKey(identity);
        Member.RoutedIdentity = identity;
    }

    private byte[] OwnProof()
    {
        if (Group.Options.Identity is not { Key: { } key } identity)
        {
            return [];
        }

        return _proof ??= IdentityHandshake.CreateRoutedProof(key, identity.Name, Group.Id, Group.LocalId, Member.Id);
    }
}
