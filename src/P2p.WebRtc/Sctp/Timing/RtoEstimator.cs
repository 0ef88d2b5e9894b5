namespace P2p.WebRtc.Sctp.Timing;

/// <summary>
/// Retransmission timeout from round-trip measurements (RFC 9260 §6.3.1): SRTT and RTTVAR with
/// α = 1/8, β = 1/4, RTO = SRTT + 4·RTTVAR clamped to [RTO.Min, RTO.Max]; doubled on each T3-rtx
/// expiry (§6.3.3 E2). Callers apply Karn's rule (§6.3.1 C5: no samples from retransmitted chunks),
/// which can leave no fresh sample for a long time after a timeout; so, as Linux TCP does, the
/// back-off is also cleared when an acknowledgement of new data shows the path works again.
/// </summary>
internal sealed class RtoEstimator
{
    private static readonly TimeSpan Granularity = TimeSpan.FromMilliseconds(1);
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly TimeSpan _initial;
    private TimeSpan _srtt;
    private TimeSpan _rttvar;
    private bool _measured;
    private TimeSpan _computed;

    public RtoEstimator(TimeSpan initial, TimeSpan min, TimeSpan max)
    {
        _min = min;
        _max = max;
        _initial = initial;
        Rto = initial;
        _computed = initial;
    }

    /// <summary>The current RTO.</summary>
    public TimeSpan Rto { get; private set; }

    /// <summary>The smoothed RTT, or null before the first measurement.</summary>
    public TimeSpan? Srtt => _measured ? _srtt : null;

    /// <summary>Feeds one RTT measurement (§6.3.1 C2/C3).</summary>
    public void Sample(TimeSpan rtt)
    {
        if (rtt < TimeSpan.Zero)
        {
            return;
        }

        if (!_measured)
        {
            _srtt = rtt;
            _rttvar = rtt / 2;
            _measured = true;
        }
        else
        {
            var delta = _srtt - rtt;
            if (delta < TimeSpan.Zero)
            {
                delta = -delta;
            }

            _rttvar = ((_rttvar * 3) + delta) / 4;
            _srtt = ((_srtt * 7) + rtt) / 8;
        }

        var variance = _rttvar * 4;
        if (variance < Granularity)
        {
            variance = Granularity;
        }

        Rto = Clamp(_srtt + variance);
        _computed = Rto;
    }

    /// <summary>Doubles the RTO after a timeout (§6.3.3 E2), up to RTO.Max.</summary>
    public void Backoff() => Rto = Clamp(Rto * 2);

    /// <summary>Forgets every measurement: RTO returns to RTO.Initial (§6.3.1 C1), as for a new path.</summary>
    public void Reset()
    {
        _measured = false;
        _srtt = TimeSpan.Zero;
        _rttvar = TimeSpan.Zero;
        Rto = _initial;
        _computed = _initial;
    }

    /// <summary>Undoes the back-off (new data was acknowledged): RTO returns to its computed value.</summary>
    public void ResetBackoff() => Rto = _computed;

    private TimeSpan Clamp(TimeSpan value) => value < _min ? _min : value > _max ? _max : value;
}
