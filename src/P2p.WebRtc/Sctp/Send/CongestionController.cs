namespace P2p.WebRtc.Sctp.Send;

/// <summary>
/// SCTP congestion control for the single path (RFC 9260 §7.2): slow start and congestion avoidance
/// on cwnd/ssthresh with partial_bytes_acked, fast recovery entered on fast retransmit (§7.2.4) and
/// left when the exit point is acknowledged, and the collapse to one MTU on T3-rtx expiry (§7.2.3).
/// Byte counts are DATA payload bytes; <c>mtu</c> is the payload of a full packet.
/// </summary>
internal sealed class CongestionController
{
    private readonly int _mtu;

    public CongestionController(int mtu, long initialSsthresh)
    {
        _mtu = mtu;
        // §7.2.1: initial cwnd = min(4·MTU, max(2·MTU, 4380 bytes)).
        Cwnd = Math.Min(4L * mtu, Math.Max(2L * mtu, 4380));
        Ssthresh = Math.Max(initialSsthresh, 4L * mtu);
    }

    public long Cwnd { get; private set; }

    public long Ssthresh { get; private set; }

    public long PartialBytesAcked { get; private set; }

    public bool InFastRecovery { get; private set; }

    public uint FastRecoveryExitPoint { get; private set; }

    /// <summary>
    /// Applies a SACK (§7.2.1, §7.2.2): grows cwnd only when the cumulative ack advanced, the window
    /// was fully used, and not in fast recovery.
    /// </summary>
    public void OnSack(bool cumAdvanced, uint cumulativeTsnAck, long bytesNewlyAcked, long flightBefore, long flightAfter)
    {
        if (InFastRecovery && SerialNumber.Ge(cumulativeTsnAck, FastRecoveryExitPoint))
        {
            InFastRecovery = false;
        }

        if (cumAdvanced && !InFastRecovery && bytesNewlyAcked > 0)
        {
            var fullyUsed = flightBefore + _mtu > Cwnd;
            if (Cwnd <= Ssthresh)
            {
                // Slow start: at most one MTU per SACK.
                if (fullyUsed)
                {
                    Cwnd += Math.Min(bytesNewlyAcked, _mtu);
                }
            }
            else
            {
                // Congestion avoidance: one MTU per cwnd of acknowledged bytes.
                PartialBytesAcked += bytesNewlyAcked;
                if (PartialBytesAcked >= Cwnd && fullyUsed)
                {
                    PartialBytesAcked -= Cwnd;
                    Cwnd += _mtu;
                }
            }
        }

        if (flightAfter == 0)
        {
            PartialBytesAcked = 0;
        }
    }

    /// <summary>Fast retransmit (§7.2.3, §7.2.4 steps 2 and 6): halve once per recovery episode.</summary>
    public void OnFastRetransmit(uint highestOutstandingTsn)
    {
        if (InFastRecovery)
        {
            return;
        }

        Ssthresh = Math.Max(Cwnd / 2, 4L * _mtu);
        Cwnd = Ssthresh;
        PartialBytesAcked = 0;
        InFastRecovery = true;
        FastRecoveryExitPoint = highestOutstandingTsn;
    }

    /// <summary>T3-rtx expiry (§7.2.3): ssthresh = max(cwnd/2, 4·MTU), cwnd = 1 MTU; fast recovery ends.</summary>
    public void OnRetransmissionTimeout()
    {
        Ssthresh = Math.Max(Cwnd / 2, 4L * _mtu);
        Cwnd = _mtu;
        PartialBytesAcked = 0;
        InFastRecovery = false;
    }

    /// <summary>Idle decay (§7.2.1): after an RTO without sending, cwnd = max(cwnd/2, 4·MTU).</summary>
    public void OnIdle() => Cwnd = Math.Min(Cwnd, Math.Max(Cwnd / 2, 4L * _mtu));
}
