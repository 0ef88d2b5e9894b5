using Microsoft.Extensions.Logging;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Ice;

/// <summary>Consent freshness on the selected pair (RFC 7675).</summary>
public sealed partial class IceAgent
{
    private TimeSpan _lastConsentResponse;
    private TimeSpan _nextConsentCheck;

    /// <summary>RFC 7675 §5.1: a check every interval ±20 %; Disconnected, then Failed (consent expired) without responses.</summary>
    private void ProcessConsent(TimeSpan now)
    {
        if (_selected is null && _restarting)
        {
            JudgeRestartSilence(now);
            return;
        }

        if (_selected is null || _state is IceConnectionState.Failed or IceConnectionState.Closed || _remoteKey is null)
        {
            return;
        }

        if (now >= _nextConsentCheck)
        {
            SendCheck(_selected, now, useCandidate: false, StunTransactionKind.Consent);
            _nextConsentCheck = now + RandomizedConsentInterval();
        }

        var silence = now - _lastConsentResponse;
        if (silence >= _options.ConsentFailureTimeout)
        {
            _logger.LogInformation("ICE {Ufrag}: consent expired after {Silence} without a response (RFC 7675)", LocalUfrag, silence);
            Fail(new IceConnectionFailedException($"Consent to send expired: no response for {silence.TotalSeconds:0.#} s (RFC 7675)."));
            return;
        }

        if (silence >= _options.ConsentDisconnectedTimeout && _state != IceConnectionState.Disconnected)
        {
            _logger.LogInformation("ICE {Ufrag}: disconnected, no consent response for {Silence}", LocalUfrag, silence);
            SetState(IceConnectionState.Disconnected);
        }
    }

    /// <summary>
    /// While a restart looks for a new pair, the previous pair still carries data but is no longer checked (its remote
    /// credentials are gone): the peer's checks on it and the new generation's successful checks are the signs of life.
    /// Without any for <see cref="IceAgentOptions.ConsentDisconnectedTimeout"/> the agent reports Disconnected, so that a
    /// restart started by the peer (while this side had not noticed the dead path yet) does not keep reporting a dead
    /// path as Connected until the restart ends.
    /// </summary>
    private void JudgeRestartSilence(TimeSpan now)
    {
        var silence = now - _lastConsentResponse;
        if (_state is IceConnectionState.Connected or IceConnectionState.Completed && silence >= _options.ConsentDisconnectedTimeout)
        {
            _logger.LogInformation("ICE {Ufrag}: disconnected while restarting, no sign of life for {Silence}", LocalUfrag, silence);
            SetState(IceConnectionState.Disconnected);
        }
    }

    /// <summary>Under the lock: a sign of life from the peer during a restart (it checked the previous pair, or a new check succeeded).</summary>
    private void OnRestartSignOfLife(TimeSpan now)
    {
        if (_restarting)
        {
            _lastConsentResponse = now;
        }
    }

    /// <summary>Raised (on the event queue) for each consent response (for tests).</summary>
    internal event Action? ConsentResponseReceived;

    private void OnConsentResponse(TimeSpan now)
    {
        _lastConsentResponse = now;
        _events.Post(() => ConsentResponseReceived?.Invoke());
        if (_state == IceConnectionState.Disconnected)
        {
            SetState(IceConnectionState.Connected);
            UpdateConnectionState();
        }
    }

    private TimeSpan RandomizedConsentInterval() =>
        _options.ConsentInterval * (0.8 + (0.4 * (_options.Random ?? Random.Shared).NextDouble()));
}
