using System.Diagnostics;
using P2p.Core.Diagnostics;
using P2p.Core.Messaging;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Mesh;

/// <summary>
/// One connection attempt to a member: the transport connection, its negotiation progress and, once
/// connected, its messenger. Its fields are guarded by the owning <see cref="PeerLink"/>'s lock.
/// </summary>
internal sealed class LinkAttempt : IDisposable
{
    private readonly CancellationTokenSource _end;
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenSource _setup;
    private readonly TimeProvider _time;
    private Activity? _activity;
    private int _setupEnded;

    public LinkAttempt(long number, PeerConnectionRole role, IPeerConnection connection, TimeSpan connectTimeout, TimeProvider timeProvider, CancellationToken groupLifetime)
    {
        Number = number;
        Role = role;
        _time = timeProvider;
        StartedAt = timeProvider.GetTimestamp();
        Connection = connection;
        _end = CancellationTokenSource.CreateLinkedTokenSource(groupLifetime);
        _deadline = new CancellationTokenSource(connectTimeout, timeProvider);
        _setup = CancellationTokenSource.CreateLinkedTokenSource(_end.Token, _deadline.Token);
        Token = _end.Token;
        SetupToken = _setup.Token;
    }

    public long Number { get; }

    /// <summary>When the attempt started (a <see cref="TimeProvider"/> timestamp), for <c>p2p.link.setup.duration</c>.</summary>
    public long StartedAt { get; }

    public PeerConnectionRole Role { get; }

    public IPeerConnection Connection { get; }

    /// <summary>Cancelled when the attempt ends (superseded, failed, member removed, group closed).</summary>
    public CancellationToken Token { get; }

    /// <summary>Cancelled when the attempt ends or its connect deadline passes: for the set-up steps only.</summary>
    public CancellationToken SetupToken { get; }

    /// <summary><see langword="true"/> once the connect deadline passed.</summary>
    public bool DeadlinePassed => _deadline.IsCancellationRequested;

    /// <summary>Completed when the transport reports <see cref="PeerConnectionState.Connected"/>; failed when it fails first.</summary>
    public TaskCompletionSource Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Offerer only: the offer relay has been started, so local candidates may follow it.</summary>
    public bool OfferSent { get; set; }

    /// <summary>Offerer only: local candidates gathered before the offer relay started.</summary>
    public List<IceCandidatePayload> HeldLocalCandidates { get; } = [];

    /// <summary>An ICE restart offer is being created and its relay has not started yet: local candidates wait.</summary>
    public bool RestartOfferPending { get; set; }

    /// <summary>1 while an ICE restart (or a request for one) is under way on this attempt.</summary>
    public int Restarting;

    /// <summary>Completed to make a waiting recovery loop try again at once (the signaling connection came back).</summary>
    public TaskCompletionSource RestartNudge { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The DTLS fingerprint in this side's first local description (<c>"sha-256 AB:…"</c>), if any.</summary>
    public string? LocalFingerprint { get; set; }

    /// <summary>The DTLS fingerprint in the first remote description this side received, if any.</summary>
    public string? RemoteFingerprint { get; set; }

    /// <summary>The remote description is set: remote candidates go straight to the connection.</summary>
    public bool RemoteDescriptionSet { get; set; }

    /// <summary>Serialises <see cref="IPeerConnection.AddRemoteCandidateAsync"/> calls.</summary>
    public SemaphoreSlim CandidateLock { get; } = new(1, 1);

    /// <summary>The attempt reached <see cref="PeerConnectionState.Connected"/> and is the member's live connection.</summary>
    public bool IsConnected { get; set; }

    /// <summary>The attempt is over: superseded, failed, or its member removed. Nothing it does counts any more.</summary>
    public bool Ended { get; private set; }

    /// <summary>Once connected: the group messaging over the connection's channel.</summary>
    public LinkMessenger? Messenger { get; set; }

    /// <summary>While connected but <see cref="PeerConnectionState.Disconnected"/>: cancelled when the connection recovers.</summary>
    public CancellationTokenSource? RecoveryTimer { get; set; }

    /// <summary>Starts the attempt's <c>p2p.link.connect</c> activity when someone listens (not the caller's ambient activity).</summary>
    public void StartActivity(string groupId, string remoteId)
    {
        _activity = CoreMetrics.StartDetached("p2p.link.connect", ActivityKind.Internal);
        _activity?.SetTag(CoreMetrics.GroupIdTag, groupId)
            .SetTag(CoreMetrics.RemoteMemberTag, remoteId)
            .SetTag(CoreMetrics.LinkRoleTag, CoreMetrics.TagValue(Role))
            .SetTag(CoreMetrics.AttemptTag, Number);
    }

    /// <summary>
    /// The set-up is over (connected, or ended before): records <c>p2p.link.setup.duration</c> and ends the activity, once;
    /// later calls do nothing.
    /// </summary>
    public void EndSetup(CoreMetrics.LinkOutcome outcome, Exception? error = null)
    {
        if (Interlocked.Exchange(ref _setupEnded, 1) != 0)
        {
            return;
        }

        CoreMetrics.LinkEnded(_time, StartedAt, Role, outcome);
        if (Interlocked.Exchange(ref _activity, null) is { } activity)
        {
            activity.SetTag(CoreMetrics.LinkOutcomeTag, CoreMetrics.TagValue(outcome));
            if (outcome == CoreMetrics.LinkOutcome.Connected)
            {
                activity.SetStatus(ActivityStatusCode.Ok);
            }
            else if (error is not null)
            {
                CoreMetrics.Fail(activity, error);
            }

            activity.Dispose();
        }
    }

    /// <summary>Marks the attempt ended (under the link's lock); returns false if it already was.</summary>
    public bool MarkEnded()
    {
        if (Ended)
        {
            return false;
        }

        Ended = true;
        return true;
    }

    /// <summary>Stops the connect deadline (the attempt connected; the set-up token must not fire later).</summary>
    public void StopDeadline()
    {
        try
        {
            _deadline.CancelAfter(Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Never disposed; kept for safety.
        }
    }

    /// <summary>Cancels everything the attempt is doing (outside the link's lock).</summary>
    public void Cancel()
    {
        StopDeadline();
        try
        {
            _end.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }

        try
        {
            RecoveryTimer?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed.
        }
    }

    /// <summary>Releases the timers and token registrations (after <see cref="Cancel"/>, once the connection is disposed).</summary>
    public void Dispose()
    {
        _setup.Dispose();
        _deadline.Dispose();
        _end.Dispose();
        RecoveryTimer?.Dispose();
    }
}
