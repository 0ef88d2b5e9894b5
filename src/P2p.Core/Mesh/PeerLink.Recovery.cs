using System.Text.Json;
using Microsoft.Extensions.Logging;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Mesh;

/// <summary>
/// Recovery of a connected link that lost its path (<see cref="LinkState.Interrupted"/>): ICE restarts through the
/// signaling server until the transport reports the connection again, within <see cref="P2pOptions.RecoveryTimeout"/>.
/// </summary>
/// <remarks>
/// <para>The offering side (<see cref="WeOffer"/>) restarts ICE on the live connection: a new offer with
/// <c>"iceRestart":true</c>, the remote's answer, new candidates both ways; the channel, DTLS and SCTP stay, so
/// messages queued meanwhile are delivered once a path is found again. The other side asks it to restart
/// (<c>{"type":"restart"}</c>). Either repeats every <see cref="P2pOptions.IceRestartInterval"/>, and at once when the
/// signaling connection comes back.</para>
/// <para>When the signaling server answers that the member is not connected (-32004) while the link is interrupted,
/// the member has lost both its links and its signaling connection (its process probably died): the link fails at
/// once instead of waiting for the recovery timeout.</para>
/// </remarks>
internal sealed partial class PeerLink
{
    /// <summary>The transport reported the connected attempt disconnected: reports the link interrupted and starts recovering it.</summary>
    private void OnInterrupted(LinkAttempt attempt)
    {
        CancellationTokenSource recovery;
        lock (_gate)
        {
            if (_current != attempt || _state != LinkState.Connected)
            {
                return; // not connected yet (the setup deadline covers it), already interrupted, or superseded
            }

            var error = new GroupException(GroupErrorCode.ConnectionLost, $"The connection to member {RemoteId} was interrupted.");
            _logger.LogWarning("The connection to member {MemberId} was interrupted; restoring it (ICE restart) for up to {Timeout}", RemoteId, _group.ServiceOptions.RecoveryTimeout);
            SetStateLocked(LinkState.Interrupted, error);
            recovery = CancellationTokenSource.CreateLinkedTokenSource(attempt.Token);
            attempt.RecoveryTimer = recovery;
        }

        var deadline = Task.Delay(_group.ServiceOptions.RecoveryTimeout, _group.TimeProvider, recovery.Token);
        _group.Work.Run(async () =>
        {
            try
            {
                await deadline.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            OnAttemptFailed(attempt, new TimeoutException($"The connection to member {RemoteId} did not recover within {_group.ServiceOptions.RecoveryTimeout}."));
        });
        _group.Work.Run(() => RecoverAsync(attempt, recovery.Token));
    }

    /// <summary>Makes an interrupted link try to recover at once (the signaling connection came back).</summary>
    public void NudgeRecovery()
    {
        lock (_gate)
        {
            if (_state == LinkState.Interrupted && _current is { } attempt)
            {
                attempt.RestartNudge.TrySetResult();
            }
        }
    }

    /// <summary>Handles the remote's request to restart ICE (it is the answering side and lost the path).</summary>
    /// <returns><see langword="true"/> when a restart was started or is under way.</returns>
    public bool OnRestartRequested()
    {
        if (!WeOffer || TryGetRestartableAttempt() is not { } attempt)
        {
            return false;
        }

        lock (_gate)
        {
            if (_state == LinkState.Interrupted)
            {
                attempt.RestartNudge.TrySetResult(); // the recovery loop restarts now
                return true;
            }
        }

        // Only the remote noticed (a one-way cut): one restart, bounded by the restart interval.
        _group.Work.Run(async () =>
        {
            using var scope = _logger.BeginScope(_scope);
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(attempt.Token);
            bound.CancelAfter(_group.ServiceOptions.IceRestartInterval);
            try
            {
                await RestartOnceAsync(attempt, bound.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogDebug("The ICE restart member {MemberId} asked for failed: {Reason}", RemoteId, ex.Message);
            }
        });
        return true;
    }

    /// <summary>The live (connected or interrupted) attempt when its transport can restart ICE.</summary>
    private LinkAttempt? TryGetRestartableAttempt()
    {
        lock (_gate)
        {
            return _state is LinkState.Connected or LinkState.Interrupted
                && _current is { Ended: false, IsConnected: true } attempt
                && attempt.Connection.CanRestartIce
                    ? attempt
                    : null;
        }
    }

    private async Task RecoverAsync(LinkAttempt attempt, CancellationToken recovery)
    {
        using var scope = _logger.BeginScope(_scope);
        while (!recovery.IsCancellationRequested)
        {
            Task nudge;
            lock (_gate)
            {
                if (attempt.RestartNudge.Task.IsCompleted)
                {
                    attempt.RestartNudge = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                nudge = attempt.RestartNudge.Task;
            }

            try
            {
                if (WeOffer)
                {
                    if (attempt.Connection.CanRestartIce)
                    {
                        await RestartOnceAsync(attempt, recovery).ConfigureAwait(false);
                    }
                }
                else
                {
                    await RequestRestartAsync(recovery).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (recovery.IsCancellationRequested)
            {
                return;
            }
            catch (SignalingException ex) when (ex.Code == SignalingErrorCode.TargetUnavailable)
            {
                _logger.LogWarning("Member {MemberId} is interrupted and not connected to the signaling server either: it is reported failed", RemoteId);
                OnAttemptFailed(attempt, new GroupException(
                    GroupErrorCode.ConnectionLost,
                    $"The connection to member {RemoteId} was interrupted and the member is not connected to the signaling server either (it may have crashed or lost its network).",
                    ex));
                return;
            }
            catch (Exception ex)
            {
                _logger.LogDebug("Restoring the connection to member {MemberId} failed this time: {Reason}", RemoteId, ex.Message);
            }

            try
            {
                var next = Task.Delay(_group.ServiceOptions.IceRestartInterval, _group.TimeProvider, recovery);
                await Task.WhenAny(next, nudge).ConfigureAwait(false);
                recovery.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The offering side: one ICE restart of the live connection (offer, relay, answer).</summary>
    private async Task RestartOnceAsync(LinkAttempt attempt, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref attempt.Restarting, 1, 0) != 0)
        {
            return; // one is under way
        }

        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(attempt.Token, cancellationToken);
            var token = linked.Token;
            SessionDescriptionPayload offer;
            lock (_gate)
            {
                if (attempt.Ended)
                {
                    return;
                }

                attempt.RestartOfferPending = true;
                attempt.RemoteDescriptionSet = false; // the remote's new candidates wait for its answer
            }

            await attempt.CandidateLock.WaitAsync(token).ConfigureAwait(false);
            try
            {
                offer = await attempt.Connection.CreateRestartOfferAsync(token).ConfigureAwait(false);
            }
            finally
            {
                attempt.CandidateLock.Release();
            }

            _logger.LogInformation("Restarting ICE with member {MemberId} (attempt {Attempt})", RemoteId, attempt.Number);
            var relay = _group.Signaling.RelayAsync(_group.Id, RemoteId, RelayMessages.ToRestartJson(offer), token);
            ReleaseHeldCandidates(attempt);
            JsonElement result;
            try
            {
                result = await relay.ConfigureAwait(false);
            }
            catch
            {
                RestoreRemoteDescription(attempt);
                throw;
            }

            if (!RelayMessages.TryParseDescription(result, SessionDescriptionPayload.AnswerType, out var answer))
            {
                RestoreRemoteDescription(attempt);
                throw new InvalidOperationException($"Member {RemoteId} answered the ICE restart with something that is not an answer: {Truncate(result.GetRawText())}");
            }

            await attempt.CandidateLock.WaitAsync(token).ConfigureAwait(false);
            try
            {
                await attempt.Connection.AcceptAnswerAsync(answer, token).ConfigureAwait(false);
            }
            finally
            {
                attempt.CandidateLock.Release();
            }

            await OnRemoteDescriptionSetAsync(attempt).ConfigureAwait(false);
            _logger.LogDebug("ICE restart with member {MemberId} negotiated; waiting for the new checks", RemoteId);
        }
        finally
        {
            lock (_gate)
            {
                attempt.RestartOfferPending = false;
            }

            Volatile.Write(ref attempt.Restarting, 0);
        }
    }

    /// <summary>The answering side: asks the offering side to restart ICE.</summary>
    private async Task RequestRestartAsync(CancellationToken cancellationToken)
    {
        _logger.LogDebug("Asking member {MemberId} to restart ICE", RemoteId);
        await _group.Signaling.RelayAsync(_group.Id, RemoteId, RelayMessages.RestartRequest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The answering side: answers the remote's ICE restart offer on the live connection.</summary>
    private async Task<JsonElement> AnswerRestartAsync(LinkAttempt attempt, SessionDescriptionPayload offer, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(attempt.Token, cancellationToken);
        lock (_gate)
        {
            attempt.RemoteDescriptionSet = false; // candidates of the new session wait for the new remote description
        }

        SessionDescriptionPayload answer;
        try
        {
            await attempt.CandidateLock.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                answer = await attempt.Connection.AcceptRestartOfferAsync(offer, linked.Token).ConfigureAwait(false);
            }
            finally
            {
                attempt.CandidateLock.Release();
            }
        }
        catch (Exception ex)
        {
            RestoreRemoteDescription(attempt);
            _logger.LogWarning("Could not answer member {MemberId}'s ICE restart: {Reason}", RemoteId, ex.Message);
            throw new SignalingException(SignalingErrorCode.RelayHandlerFailed, $"Could not answer the ICE restart: {ex.Message}");
        }

        await OnRemoteDescriptionSetAsync(attempt).ConfigureAwait(false);
        _logger.LogInformation("Answered member {MemberId}'s ICE restart (attempt {Attempt})", RemoteId, attempt.Number);
        return RelayMessages.ToJson(answer);
    }

    /// <summary>The offer (first or restart) is being relayed: candidates held back until now may follow it.</summary>
    private void ReleaseHeldCandidates(LinkAttempt attempt)
    {
        List<IceCandidatePayload> held;
        lock (_gate)
        {
            attempt.OfferSent = true; // no effect on an answering attempt: only an offering one holds for it
            attempt.RestartOfferPending = false;
            held = [.. attempt.HeldLocalCandidates];
            attempt.HeldLocalCandidates.Clear();
        }

        foreach (var candidate in held)
        {
            RelayCandidate(attempt, candidate);
        }
    }

    /// <summary>A restart that did not complete: the old remote description still stands, so candidates may go to it again.</summary>
    private void RestoreRemoteDescription(LinkAttempt attempt) => _group.Work.Run(() => OnRemoteDescriptionSetAsync(attempt));
}
