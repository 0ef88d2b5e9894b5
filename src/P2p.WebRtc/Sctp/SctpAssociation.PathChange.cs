namespace P2p.WebRtc.Sctp;

/// <summary>
/// A change of the path below the association (over DTLS over ICE: a newly selected candidate pair, e.g. after an
/// ICE restart). The association has one destination transport address (RFC 8261 §5), so ICE moving it is, to SCTP,
/// the same destination on a new path: what was learned of the old one (RTT, a backed-off RTO) says nothing about it.
/// </summary>
public sealed partial class SctpAssociation
{
    /// <summary>
    /// The lower layer now uses another path: the RTO estimator starts over at RTO.Initial (RFC 9260 §6.3.1 C1, as for
    /// a new destination), every DATA chunk in flight is marked for retransmission so that it goes out on the next
    /// poll rather than when a backed-off T3-rtx timer would expire (§6.3.3 E3, without E1/E2: nothing timed out), and
    /// T3-rtx restarts with the fresh RTO. The congestion window is left as it is. Does nothing before the association
    /// is established or after it closed.
    /// </summary>
    /// <param name="now">The current time.</param>
    /// <returns>How many chunks were marked for retransmission.</returns>
    public int HandlePathChange(TimeSpan now)
    {
        if (_terminal || _cc is null)
        {
            return 0;
        }

        _rto.Reset();
        if (_retransmissions.Count == 0)
        {
            return 0;
        }

        var marked = _retransmissions.MarkAllForRetransmission(now);
        if (_retransmissions.ForwardTsnNeeded)
        {
            _forwardTsnPending = true;
        }

        _t3Rtx.Start(now, _rto.Rto);
        return marked;
    }
}
