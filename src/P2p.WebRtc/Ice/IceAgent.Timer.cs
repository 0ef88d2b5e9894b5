using Microsoft.Extensions.Logging;

namespace P2p.WebRtc.Ice;

/// <summary>
/// The agent's one timer. While there is work (checks to pace, requests to retransmit, gathering,
/// nomination) it ticks every Ta (<see cref="IceAgentOptions.CheckInterval"/>); once a pair is
/// selected and nothing is outstanding it fires only at the next consent deadline (the next consent
/// check, or the moment silence would mean Disconnected or Failed, RFC 7675), so an idle
/// connection does not wake up 20 times a second.
/// </summary>
public sealed partial class IceAgent
{
    private bool _timerIdle;
    private long _timerTicks;

    /// <summary>Times the timer ran (for tests).</summary>
    internal long TimerTicks => Interlocked.Read(ref _timerTicks);

    /// <summary>True while the timer waits for a consent deadline instead of ticking every Ta (for tests).</summary>
    internal bool TimerIdle
    {
        get
        {
            lock (_sync)
            {
                return _timerIdle;
            }
        }
    }

    private void OnTimer()
    {
        try
        {
            lock (_sync)
            {
                if (_disposed || _timer is null)
                {
                    return;
                }

                Interlocked.Increment(ref _timerTicks);
                var now = Now;
                ProcessTransactions(now);
                EvaluateNomination(now);
                PaceChecks(now);
                ProcessConsent(now);
                CheckGatheringComplete();
                UpdateConnectionState();
                RescheduleTimer(now);
            }
        }
        catch (Exception e)
        {
            _logger.LogError(e, "ICE {Ufrag}: timer failed", LocalUfrag);
        }
    }

    /// <summary>Under the lock: ticks every Ta while there is work, otherwise once at the next consent deadline.</summary>
    private void RescheduleTimer(TimeSpan now)
    {
        if (_timer is null || _disposed)
        {
            return;
        }

        if (IdleUntil() is not { } deadline)
        {
            // Ticking every Ta; a consent deadline (Disconnected) due before the next tick fires on time, not up to Ta late.
            var consentDue = ConsentDeadline() - now;
            if (consentDue > TimeSpan.Zero && consentDue < _options.CheckInterval)
            {
                _timerIdle = false;
                _timer.Change(consentDue, _options.CheckInterval);
            }
            else if (_timerIdle)
            {
                _timerIdle = false;
                _timer.Change(_options.CheckInterval, _options.CheckInterval);
            }

            return;
        }

        _timerIdle = true;
        var due = deadline - now;
        _timer.Change(due < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>When silence on the selected pair next changes the state (Disconnected, then Failed); never without a selected pair.</summary>
    private TimeSpan ConsentDeadline()
    {
        if (_selected is null || _state is IceConnectionState.Failed or IceConnectionState.Closed)
        {
            return TimeSpan.MaxValue;
        }

        return _state == IceConnectionState.Disconnected
            ? _lastConsentResponse + _options.ConsentFailureTimeout
            : _lastConsentResponse + _options.ConsentDisconnectedTimeout;
    }

    /// <summary>When the timer has work next if only consent freshness remains; null while there is other work.</summary>
    private TimeSpan? IdleUntil()
    {
        if (_selected is null || !_checksStopped || _transactions.Count > 0 || _triggered.Count > 0 || _nominating is not null
            || _gatheringState == IceGatheringState.Gathering || _state is IceConnectionState.Failed or IceConnectionState.Closed)
        {
            return null;
        }

        var next = Min(_nextConsentCheck, _lastConsentResponse + _options.ConsentFailureTimeout);
        if (_state != IceConnectionState.Disconnected)
        {
            next = Min(next, _lastConsentResponse + _options.ConsentDisconnectedTimeout);
        }

        return next;
    }
}
