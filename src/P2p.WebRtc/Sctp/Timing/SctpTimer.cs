namespace P2p.WebRtc.Sctp.Timing;

/// <summary>
/// One protocol timer of the association (T1-init, T1-cookie, T2-shutdown, T3-rtx, delayed SACK,
/// heartbeat, RE-CONFIG). It is only a deadline: the association owns no clock and is told the time
/// by its driver, which asks for the earliest deadline and calls back when it passes.
/// </summary>
internal sealed class SctpTimer
{
    /// <summary>Sentinel for "not running".</summary>
    public static readonly TimeSpan Never = TimeSpan.MaxValue;

    /// <summary>When the timer expires, or <see cref="Never"/>.</summary>
    public TimeSpan Deadline { get; private set; } = Never;

    /// <summary>Consecutive expirations since the last <see cref="Start(TimeSpan, TimeSpan, bool)"/> with reset.</summary>
    public int Expirations { get; set; }

    public bool IsRunning => Deadline != Never;

    /// <summary>Starts (or restarts) the timer to expire <paramref name="duration"/> after <paramref name="now"/>.</summary>
    public void Start(TimeSpan now, TimeSpan duration, bool resetExpirations = false)
    {
        Deadline = now + duration;
        if (resetExpirations)
        {
            Expirations = 0;
        }
    }

    /// <summary>Starts the timer unless it is already running.</summary>
    public void StartIfStopped(TimeSpan now, TimeSpan duration)
    {
        if (!IsRunning)
        {
            Start(now, duration);
        }
    }

    public void Stop() => Deadline = Never;

    /// <summary>True (and stops the timer) when it has expired at <paramref name="now"/>.</summary>
    public bool TryExpire(TimeSpan now)
    {
        if (Deadline == Never || now < Deadline)
        {
            return false;
        }

        Deadline = Never;
        Expirations++;
        return true;
    }
}
