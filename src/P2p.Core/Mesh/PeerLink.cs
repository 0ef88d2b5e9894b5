using System.Text.Json;
using Microsoft.Extensions.Logging;
using P2p.Core.Diagnostics;
using P2p.Core.Identity;
using P2p.Core.Messaging;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Mesh;

/// <summary>
/// This member's side of the connection to one other member of a group: connection attempts (offering
/// or answering), trickled candidates, glare, failure, retry with back-off, and removal.
/// </summary>
/// <remarks>
/// <para>Who offers: the member that joined later (<see cref="WeOffer"/> when the remote joined before us).
/// Only that side starts attempts, first and after failures; the other side answers whatever offer comes
/// (a newer offer from the same member replaces the older connection). Should both sides offer anyway
/// (a foreign client), the lower user id keeps its offer: the higher side abandons its own attempt and
/// answers, and the lower side answers the higher side's offer with the relay error <c>-32030</c> "glare".</para>
/// <para>Remote candidates that arrive before the remote description is set (a candidate may overtake
/// its offer, and an answerer's candidates usually overtake its answer) wait in a buffer.</para>
/// <para>Locking: the link's lock guards its state; it is never held while calling the transport or the
/// signaling channel, and the group's lock is only ever taken inside it, never the reverse.</para>
/// </remarks>
internal sealed partial class PeerLink
{
    /// <summary>How many early remote candidates are kept (the oldest are dropped beyond).</summary>
    internal const int MaxEarlyCandidates = 64;

    private readonly ILinkOwner _group;
    private readonly ILogger _logger;
    private readonly LogScope _scope;
    private readonly Lock _gate = new();
    private readonly List<IceCandidatePayload> _earlyCandidates = [];
    private LinkAttempt? _current;
    private readonly OneShotTimer _timer;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _attempts;
    private int _failures;
    private LinkState _state = LinkState.New;

    public PeerLink(ILinkOwner group, Member member, bool weOffer)
    {
        _group = group;
        Member = member;
        WeOffer = weOffer;
        _logger = group.Logger;
        _scope = new LogScope(group.Id, member.Id);
        _timer = new OneShotTimer(group.Work, group.TimeProvider, group.Lifetime);
    }

    /// <summary>The remote member.</summary>
    public Member Member { get; }

    /// <summary>This side makes the offers (the remote joined the group before this member).</summary>
    public bool WeOffer { get; }

    /// <summary>How many connection attempts were made (both roles).</summary>
    internal long AttemptCount => Interlocked.Read(ref _attempts);

    /// <summary>How many remote candidates wait for a remote description.</summary>
    internal int EarlyCandidateCount
    {
        get
        {
            lock (_gate)
            {
                return _earlyCandidates.Count;
            }
        }
    }

    /// <summary>Pending requests on the live connection (for tests).</summary>
    internal int PendingRequestCount
    {
        get
        {
            lock (_gate)
            {
                return _current?.Messenger?.PendingRequestCount ?? 0;
            }
        }
    }

    /// <summary>Completes at the next change of the member's direct state.</summary>
    internal Task Changed
    {
        get
        {
            lock (_gate)
            {
                return _changed.Task;
            }
        }
    }

    private string RemoteId => Member.Id;

    /// <summary>What the transport measures about the connected connection; null when not connected or none.</summary>
    internal PeerConnectionStatistics? GetStatistics()
    {
        IPeerConnection connection;
        lock (_gate)
        {
            if (_current is not { IsConnected: true, Ended: false } attempt)
            {
                return null;
            }

            connection = attempt.Connection;
        }

        return LinkStatisticsMetrics.Read(connection);
    }

    /// <summary>Starts connecting: offers when this side offers, otherwise waits (bounded) for the remote's offer.</summary>
    public void Start()
    {
        if (WeOffer)
        {
            StartOfferAttempt();
            return;
        }

        lock (_gate)
        {
            if (_state != LinkState.New)
            {
                return; // an offer came first, or the link is gone
            }

            SetStateLocked(LinkState.WaitingForOffer, null);
            ArmTimerLocked(_group.ServiceOptions.ConnectTimeout, () =>
            {
                lock (_gate)
                {
                    if (_state != LinkState.WaitingForOffer)
                    {
                        return;
                    }

                    var error = new TimeoutException($"Member {RemoteId} sent no offer within {_group.ServiceOptions.ConnectTimeout}.");
                    _logger.LogWarning("No offer from member {MemberId} within {Timeout}; it is reported failed until it offers", RemoteId, _group.ServiceOptions.ConnectTimeout);
                    SetStateLocked(LinkState.WaitingForNextOffer, error);
                }
            });
        }
    }

    /// <summary>
    /// The messenger of the live connection, or <see langword="null"/> when not connected. An interrupted link still has
    /// one: what is sent meanwhile waits in the connection and is delivered once it recovers.
    /// </summary>
    public LinkMessenger? TryGetMessenger()
    {
        lock (_gate)
        {
            return _state is LinkState.Connected or LinkState.Interrupted && _current is { Ended: false, Messenger: { } messenger } ? messenger : null;
        }
    }

    /// <summary>Waits until the member is connected; fails at once when it is unreachable or gone.</summary>
    public async Task<LinkMessenger> WaitForMessengerAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_state.IsFinal())
                {
                    throw new GroupException(GroupErrorCode.NotConnected, $"Member {RemoteId} is no longer in the group.");
                }

                if (_state is LinkState.Connected or LinkState.Interrupted && _current is { Ended: false, Messenger: { } messenger })
                {
                    return messenger;
                }

                if (_state.ToPeerState() == PeerState.Failed)
                {
                    throw new GroupException(
                        GroupErrorCode.NotConnected,
                        $"Member {RemoteId} is unreachable: {Member.LastError?.Message ?? "the connection failed"}",
                        Member.LastError);
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Handles an offer relayed from the member; returns the answer (the relay's result).</summary>
    public async Task<JsonElement> OnRemoteOfferAsync(SessionDescriptionPayload offer, bool iceRestart, CancellationToken cancellationToken)
    {
        if (iceRestart && TryGetRestartableAttempt() is { } live)
        {
            return await AnswerRestartAsync(live, offer, cancellationToken).ConfigureAwait(false);
        }

        LinkAttempt attempt;
        LinkAttempt? replaced = null;
        lock (_gate)
        {
            if (_state.IsFinal() || _group.IsClosing)
            {
                throw new SignalingException((SignalingErrorCode)RelayMessages.NotInGroupCode, $"User {_group.LocalId} is not a member of group {_group.Id}.");
            }

            if (_state == LinkState.Offering)
            {
                if (string.CompareOrdinal(_group.LocalId, RemoteId) < 0)
                {
                    _logger.LogInformation("Glare with member {MemberId}: both offered; this side's id is lower, so it keeps its offer", RemoteId);
                    throw new SignalingException(
                        (SignalingErrorCode)RelayMessages.GlareCode,
                        $"glare: {_group.LocalId} is offering to {RemoteId} too and keeps its offer (the lower user id wins).");
                }

                _logger.LogInformation("Glare with member {MemberId}: both offered; the remote's id is lower, so this side answers its offer", RemoteId);
            }
            else if (_state is LinkState.Connected or LinkState.Interrupted)
            {
                _logger.LogInformation("Member {MemberId} offered a new connection; it replaces the current one", RemoteId);
            }

            attempt = NewAttemptLocked(PeerConnectionRole.Answerer); // may throw: nothing changed yet
            if (_current is { } current && current.MarkEnded())
            {
                replaced = current;
            }

            CancelTimerLocked();
            _current = attempt;
            SetStateLocked(LinkState.Answering, null);
        }

        if (replaced is not null)
        {
            EndAttempt(replaced, new GroupException(GroupErrorCode.ConnectionLost, $"The connection to member {RemoteId} was replaced by a new one."));
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(attempt.SetupToken, cancellationToken);
        try
        {
            attempt.RemoteFingerprint = SdpFingerprint.TryExtract(offer.Sdp);
            var answer = await attempt.Connection.AcceptOfferAsync(offer, linked.Token).ConfigureAwait(false);
            attempt.LocalFingerprint = SdpFingerprint.TryExtract(answer.Sdp);
            await OnRemoteDescriptionSetAsync(attempt).ConfigureAwait(false);
            lock (_gate)
            {
                if (attempt.Ended)
                {
                    throw new OperationCanceledException("The attempt was superseded.");
                }
            }

            _logger.LogDebug("Answered the offer of member {MemberId} (attempt {Attempt})", RemoteId, attempt.Number);
            _group.Work.Run(() => AwaitConnectionAsync(attempt));
            return RelayMessages.ToJson(answer);
        }
        catch (Exception ex)
        {
            var error = Describe(attempt, ex);
            OnAttemptFailed(attempt, error);
            throw new SignalingException(SignalingErrorCode.RelayHandlerFailed, $"Could not answer the offer: {error.Message}");
        }
    }

    /// <summary>Handles a candidate relayed from the member: added now, or buffered until the remote description is set.</summary>
    public async Task OnRemoteCandidateAsync(IceCandidatePayload candidate)
    {
        LinkAttempt? target = null;
        lock (_gate)
        {
            if (_state.IsFinal())
            {
                return;
            }

            if (_current is { Ended: false, RemoteDescriptionSet: true } current)
            {
                target = current;
            }
            else
            {
                if (_earlyCandidates.Count >= MaxEarlyCandidates)
                {
                    _earlyCandidates.RemoveAt(0);
                    _logger.LogWarning("Too many early candidates from member {MemberId}; dropped the oldest", RemoteId);
                }

                _earlyCandidates.Add(candidate);
            }
        }

        if (target is not null)
        {
            await AddCandidateAsync(target, candidate).ConfigureAwait(false);
        }
    }

    /// <summary>Removes the link for good: ends the connection, fails pending requests with <paramref name="reason"/>.</summary>
    /// <param name="reason">What pending requests fail with.</param>
    /// <param name="raiseEvents">Whether to report the state change to the application.</param>
    /// <returns><see langword="false"/> when it was already removed.</returns>
    public bool Remove(GroupException reason, bool raiseEvents)
    {
        LinkAttempt? ended = null;
        lock (_gate)
        {
            if (_state == LinkState.Removed)
            {
                return false;
            }

            CancelTimerLocked();
            if (_current is { } current && current.MarkEnded())
            {
                ended = current;
            }

            _current = null;
            _earlyCandidates.Clear();
            SetStateLocked(LinkState.Removed, null, raiseEvents);
        }

        if (ended is not null)
        {
            EndAttempt(ended, reason);
        }

        return true;
    }

    private void StartOfferAttempt()
    {
        LinkAttempt attempt;
        lock (_gate)
        {
            if (_state is not (LinkState.New or LinkState.RetryScheduled) || _group.IsClosing)
            {
                return; // an attempt is under way, or the link is gone
            }

            CancelTimerLocked();
            _earlyCandidates.Clear(); // anything buffered belongs to an older session of the remote
            try
            {
                attempt = NewAttemptLocked(PeerConnectionRole.Offerer);
            }
            catch (Exception ex)
            {
                _failures++;
                _logger.LogError(ex, "The transport could not create a connection to member {MemberId}", RemoteId);
                ScheduleRetryLocked();
                SetStateLocked(LinkState.RetryScheduled, ex);
                return;
            }

            _current = attempt;
            SetStateLocked(LinkState.Offering, null);
        }

        _group.Work.Run(() => RunOfferAsync(attempt));
    }

    private async Task RunOfferAsync(LinkAttempt attempt)
    {
        using var scope = _logger.BeginScope(_scope);
        try
        {
            var offer = await attempt.Connection.CreateOfferAsync(attempt.SetupToken).ConfigureAwait(false);
            attempt.LocalFingerprint = SdpFingerprint.TryExtract(offer.Sdp);
            _logger.LogDebug("Offering to member {MemberId} (attempt {Attempt})", RemoteId, attempt.Number);
            var relay = _group.Signaling.RelayAsync(_group.Id, RemoteId, RelayMessages.ToJson(offer), attempt.SetupToken);
            ReleaseHeldCandidates(attempt);

            var result = await relay.ConfigureAwait(false);
            if (!RelayMessages.TryParseDescription(result, SessionDescriptionPayload.AnswerType, out var answer))
            {
                throw new InvalidOperationException($"Member {RemoteId} answered the offer with something that is not an answer: {Truncate(result.GetRawText())}");
            }

            lock (_gate)
            {
                if (attempt.Ended)
                {
                    return;
                }
            }

            attempt.RemoteFingerprint = SdpFingerprint.TryExtract(answer.Sdp);
            await attempt.Connection.AcceptAnswerAsync(answer, attempt.SetupToken).ConfigureAwait(false);
            await OnRemoteDescriptionSetAsync(attempt).ConfigureAwait(false);
            await attempt.Connected.Task.WaitAsync(attempt.SetupToken).ConfigureAwait(false);
            OnConnected(attempt);
        }
        catch (Exception ex)
        {
            OnAttemptFailed(attempt, Describe(attempt, ex));
        }
    }

    private async Task AwaitConnectionAsync(LinkAttempt attempt)
    {
        using var scope = _logger.BeginScope(_scope);
        try
        {
            await attempt.Connected.Task.WaitAsync(attempt.SetupToken).ConfigureAwait(false);
            OnConnected(attempt);
        }
        catch (Exception ex)
        {
            OnAttemptFailed(attempt, Describe(attempt, ex));
        }
    }

    private LinkAttempt NewAttemptLocked(PeerConnectionRole role)
    {
        var number = Interlocked.Increment(ref _attempts);
        var connection = _group.Factory.CreateConnection(new PeerConnectionContext(_group.Id, _group.LocalId, RemoteId, role, _logger)
        {
            IceServers = _group.IceServers,
            InterruptionTimeout = _group.ServiceOptions.InterruptionTimeout,
        });
        var attempt = new LinkAttempt(number, role, connection, _group.ServiceOptions.ConnectTimeout, _group.TimeProvider, _group.Lifetime);
        attempt.StartActivity(_group.Id, RemoteId);
        connection.StateChanged += (_, state) => OnTransportState(attempt, state);
        connection.LocalCandidate += (_, candidate) => OnLocalCandidate(attempt, candidate);
        connection.Channel.Closed += (_, _) => OnAttemptFailed(attempt, new GroupException(GroupErrorCode.ConnectionLost, $"The channel to member {RemoteId} closed."));
        return attempt;
    }

    private async Task OnRemoteDescriptionSetAsync(LinkAttempt attempt)
    {
        List<IceCandidatePayload> early;
        lock (_gate)
        {
            if (attempt.Ended)
            {
                return;
            }

            attempt.RemoteDescriptionSet = true;
            early = [.. _earlyCandidates];
            _earlyCandidates.Clear();
        }

        foreach (var candidate in early)
        {
            await AddCandidateAsync(attempt, candidate).ConfigureAwait(false);
        }
    }

    private async Task AddCandidateAsync(LinkAttempt attempt, IceCandidatePayload candidate)
    {
        try
        {
            await attempt.CandidateLock.WaitAsync(attempt.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            await attempt.Connection.AddRemoteCandidateAsync(candidate, attempt.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !attempt.Token.IsCancellationRequested)
        {
            _logger.LogDebug("Member {MemberId}'s candidate was not accepted: {Reason}", RemoteId, ex.Message);
        }
        catch (OperationCanceledException)
        {
            // The attempt ended.
        }
        finally
        {
            attempt.CandidateLock.Release();
        }
    }

    private void OnLocalCandidate(LinkAttempt attempt, IceCandidatePayload candidate)
    {
        lock (_gate)
        {
            if (attempt.Ended)
            {
                return;
            }

            if ((attempt.Role == PeerConnectionRole.Offerer && !attempt.OfferSent) || attempt.RestartOfferPending)
            {
                attempt.HeldLocalCandidates.Add(candidate);
                return;
            }
        }

        RelayCandidate(attempt, candidate);
    }

    private void RelayCandidate(LinkAttempt attempt, IceCandidatePayload candidate)
    {
        Task relay;
        try
        {
            relay = _group.Signaling.RelayAsync(_group.Id, RemoteId, RelayMessages.ToJson(candidate), attempt.Token);
        }
        catch (Exception ex)
        {
            _logger.LogDebug("Could not relay a candidate to member {MemberId}: {Reason}", RemoteId, ex.Message);
            return;
        }

        _group.Work.Track(ObserveCandidateRelayAsync(relay));
    }

    private async Task ObserveCandidateRelayAsync(Task relay)
    {
        try
        {
            await relay.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogDebug("Relaying a candidate to member {MemberId} failed: {Reason}", RemoteId, ex.Message);
        }
    }

    private void OnTransportState(LinkAttempt attempt, PeerConnectionState state)
    {
        switch (state)
        {
            case PeerConnectionState.Connected:
                attempt.Connected.TrySetResult();
                lock (_gate)
                {
                    if (_current == attempt && _state == LinkState.Interrupted)
                    {
                        attempt.RecoveryTimer?.Cancel();
                        _logger.LogInformation("The connection to member {MemberId} recovered", RemoteId);
                        SetStateLocked(LinkState.Connected, null);
                    }
                }

                break;

            case PeerConnectionState.Disconnected:
                OnInterrupted(attempt);
                break;

            case PeerConnectionState.Failed:
            case PeerConnectionState.Closed:
                var lost = new GroupException(GroupErrorCode.ConnectionLost, $"The connection to member {RemoteId} {(state == PeerConnectionState.Failed ? "failed" : "closed")}.");
                attempt.Connected.TrySetException(lost);
                OnAttemptFailed(attempt, lost);
                break;
        }
    }

    private void OnConnected(LinkAttempt attempt)
    {
        LinkMessenger messenger;
        var required = _group.Identity?.PeerIdentityRequired ?? false;
        lock (_gate)
        {
            if (attempt.Ended)
            {
                return;
            }

            try
            {
                messenger = _group.CreateMessenger(
                    Member,
                    attempt.Connection.Channel,
                    new LinkFingerprints(attempt.LocalFingerprint, attempt.RemoteFingerprint),
                    error => OnChannelClosed(attempt, error),
                    attempt.Token);
            }
            catch (Exception ex)
            {
                messenger = null!;
                _group.Work.Run(() =>
                {
                    OnAttemptFailed(attempt, ex);
                    return Task.CompletedTask;
                });
                return;
            }

            attempt.StopDeadline();
            attempt.Messenger = messenger;
            Member.Identity = null; // a new connection: the peer proves its identity again
        }

        _group.Work.Run(() => RunConnectedAsync(attempt, messenger, required));
    }

    /// <summary>
    /// The channel is open: sends this side's Identity frame first (when it has a key), reports the member connected (at
    /// once, or once its identity is verified and trusted when identity is required), and reads its frames.
    /// </summary>
    private async Task RunConnectedAsync(LinkAttempt attempt, LinkMessenger messenger, bool required)
    {
        using (_logger.BeginScope(_scope))
        {
            try
            {
                await messenger.SendIdentityAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                if (!attempt.Token.IsCancellationRequested)
                {
                    OnAttemptFailed(attempt, ex);
                }

                return;
            }

            if (!required)
            {
                MarkConnected(attempt);
            }
        }

        await messenger.RunReceiveLoopAsync(required ? () => MarkConnected(attempt) : null).ConfigureAwait(false);
    }

    private void MarkConnected(LinkAttempt attempt)
    {
        lock (_gate)
        {
            if (attempt.Ended || attempt.IsConnected)
            {
                return;
            }

            attempt.IsConnected = true;
            _failures = 0;
            Member.LastError = null;
            SetStateLocked(LinkState.Connected, null);
        }

        attempt.EndSetup(CoreMetrics.LinkOutcome.Connected);
        _logger.LogInformation(
            "Connected to member {MemberId} (attempt {Attempt}, as {Role}, max message size {MaxMessageSize}{Identity})",
            RemoteId, attempt.Number, attempt.Role, attempt.Connection.Channel.MaxMessageSize,
            Member.Identity is { } identity ? $", identity \"{identity.Name}\" key {identity.KeyId}" : "");
    }

    private void OnChannelClosed(LinkAttempt attempt, Exception? error) =>
        OnAttemptFailed(attempt, error is Identity.IdentityException ? error : new GroupException(GroupErrorCode.ConnectionLost, $"The channel to member {RemoteId} closed{(error is null ? "" : ": " + error.Message)}.", error));

    private void OnAttemptFailed(LinkAttempt attempt, Exception error)
    {
        var wasCurrent = false;
        var removeMember = false;
        TimeSpan? retryIn = null;
        lock (_gate)
        {
            if (!attempt.MarkEnded())
            {
                return;
            }

            if (_current == attempt)
            {
                wasCurrent = true;
                _current = null;
                Member.Identity = null;
                if (_state.IsFinal())
                {
                    // Removed or closing already: nothing to report.
                }
                else if (_group.IsClosing)
                {
                    SetStateLocked(LinkState.Closing, null, raiseEvent: false);
                }
                else
                {
                    _failures++;
                    if (_group.SignalingClosed)
                    {
                        removeMember = true;
                        SetStateLocked(LinkState.Lost, error);
                    }
                    else if (WeOffer)
                    {
                        // The retry is armed before the state changes: whoever sees Failed (state reads take no lock) may rely on it.
                        retryIn = ScheduleRetryLocked();
                        SetStateLocked(LinkState.RetryScheduled, error);
                    }
                    else
                    {
                        SetStateLocked(LinkState.WaitingForNextOffer, error);
                    }
                }
            }
        }

        if (wasCurrent && !_group.IsClosing)
        {
            using var scope = _logger.BeginScope(_scope);
            if (retryIn is { } delay)
            {
                _logger.LogWarning("Connection attempt {Attempt} to member {MemberId} failed: {Reason} Retrying in {Delay}", attempt.Number, RemoteId, error.Message, delay);
            }
            else if (!removeMember)
            {
                _logger.LogWarning("Connection attempt {Attempt} from member {MemberId} failed: {Reason} Waiting for its next offer", attempt.Number, RemoteId, error.Message);
            }

            if (error is SignalingException { Code: SignalingErrorCode.TargetUnavailable or SignalingErrorCode.GroupNotFound })
            {
                _group.Work.Run(() => _group.VerifyMemberAsync(RemoteId));
            }
        }

        attempt.EndSetup(
            !wasCurrent || _group.IsClosing ? CoreMetrics.LinkOutcome.Cancelled
            : error is TimeoutException ? CoreMetrics.LinkOutcome.Timeout
            : CoreMetrics.LinkOutcome.Failed,
            error);
        EndAttempt(attempt, error as GroupException ?? new GroupException(GroupErrorCode.ConnectionLost, $"The connection to member {RemoteId} was lost: {error.Message}", error));
        if (removeMember)
        {
            _group.RemoveMember(RemoteId, "its connection was lost and the signaling connection is closed, so it cannot be reached again");
        }
    }

    /// <summary>Stops an ended attempt: cancels its work, fails its requests, disposes its connection (in the background).</summary>
    private void EndAttempt(LinkAttempt attempt, GroupException reason)
    {
        if (_group.IsClosing && reason.Code != GroupErrorCode.GroupClosed)
        {
            // Leaving: whatever ended the connection first (often the other side reacting to our leave), callers see why.
            reason = new GroupException(GroupErrorCode.GroupClosed, $"This member left group {_group.Id}.", reason);
        }

        attempt.EndSetup(CoreMetrics.LinkOutcome.Cancelled, reason);
        attempt.Cancel();
        attempt.Connected.TrySetException(reason);
        attempt.Messenger?.FailAll(reason);
        _group.Work.Run(async () =>
        {
            try
            {
                LinkStatisticsMetrics.ConnectionEnded(attempt.Connection);
                await attempt.Connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogDebug("Disposing the connection to member {MemberId} failed: {Reason}", RemoteId, ex.Message);
            }
            finally
            {
                attempt.Dispose();
            }
        });
    }

    private TimeSpan ScheduleRetryLocked()
    {
        var delay = RetryBackoff.Delay(_failures, _group.ServiceOptions);
        ArmTimerLocked(delay, StartOfferAttempt);
        return delay;
    }

    /// <summary>Runs <paramref name="action"/> (in the link's log scope) after <paramref name="delay"/> unless cancelled or re-armed.</summary>
    private void ArmTimerLocked(TimeSpan delay, Action action) =>
        _timer.Arm(delay, () =>
        {
            using var scope = _logger.BeginScope(_scope);
            action();
        });

    private void CancelTimerLocked() => _timer.Cancel();

    /// <summary>Moves the link to <paramref name="next"/>; when the member's direct state follows it to another value, tells the group (unless <paramref name="raiseEvent"/> is false) and wakes waiters.</summary>
    private void SetStateLocked(LinkState next, Exception? error, bool raiseEvent = true)
    {
        _state = next;
        var previous = Member.DirectState;
        var state = next.ToPeerState();
        if (error is not null)
        {
            Member.LastError = error;
        }

        if (previous == state)
        {
            return;
        }

        Member.DirectState = state;
        if (raiseEvent)
        {
            _group.OnMemberStateChanged(Member, previous, state, error);
        }

        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private Exception Describe(LinkAttempt attempt, Exception error)
    {
        if (error is OperationCanceledException && attempt.DeadlinePassed)
        {
            return new TimeoutException($"No connection to member {RemoteId} within {_group.ServiceOptions.ConnectTimeout}.");
        }

        return error;
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
