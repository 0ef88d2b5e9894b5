using System.Buffers.Binary;
using P2p.WebRtc.Sctp.Chunks;
using P2p.WebRtc.Sctp.ErrorCauses;

namespace P2p.WebRtc.Sctp;

/// <summary>
/// Data transfer (RFC 9260 §6): receiving DATA, acknowledging, processing SACKs with congestion
/// control (§7), the T3-rtx timer (§6.3), and PR-SCTP's FORWARD TSN (RFC 3758 §3.6).
/// </summary>
public sealed partial class SctpAssociation
{
    /// <summary>
    /// The most memory held by out-of-order DATA chunks: twice <see cref="SctpOptions.ReceiveWindow"/> (8 MiB by
    /// default). Full-sized chunks stay well below it (the receive window stops them first); only many small chunks
    /// above a gap reach it, which would otherwise hold a packet-sized buffer each (up to about 39 MB in the TSN window).
    /// </summary>
    internal long MaxHeldBufferBytes => 2L * _options.ReceiveWindow;

    /// <summary>The memory held by out-of-order DATA chunks now (for tests).</summary>
    internal long HeldBufferBytes => _reassembly?.HeldBufferBytes ?? 0;

    private bool AcceptsData => _state is SctpAssociationState.Established or SctpAssociationState.ShutdownPending
        or SctpAssociationState.ShutdownSent or SctpAssociationState.ShutdownReceived;

    /// <summary>DATA (§6.2): duplicate detection, window checks, delivery.</summary>
    private bool HandleData(RawChunk chunk, TimeSpan now)
    {
        if (!AcceptsData || _tracker is null)
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "DATA in state " + _state);
            return true;
        }

        if (!DataChunk.TryParse(chunk, out var data))
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "malformed DATA");
            return true;
        }

        _dataChunksReceived++;
        if (data.UserData.IsEmpty)
        {
            // §6.2: a DATA chunk without user data is answered with ABORT "No User Data" (§3.3.10.9).
            var info = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(info, data.Tsn);
            AbortWithCause(SctpErrorCauseCode.NoUserData, info, "DATA chunk without user data");
            return false;
        }

        var tracker = _tracker;
        var reassembly = _reassembly!;
        var tsn = data.Tsn;
        if (tracker.IsDuplicate(tsn))
        {
            _duplicates++;
            tracker.AddDuplicate(tsn);
            return true;
        }

        if (!reassembly.InWindow(tsn))
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "TSN outside the receive window");
            return true;
        }

        // §6.2: with the window used up, drop new data beyond the highest TSN received (gap fills still fit) and say so
        // in a SACK at once. The next chunk in order still fits while the upper layer holds nothing: a message larger
        // than the window must be reassembled whole, and only its own fragments can make room for it.
        if (SerialNumber.Gt(tsn, tracker.HighestReceived)
            && reassembly.BufferedBytes + _heldBytes + data.UserData.Length > _options.ReceiveWindow
            && (tsn != tracker.CumulativeTsn + 1 || _heldBytes > 0))
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "receive window full");
            tracker.RequestAckNow();
            return true;
        }

        // Out-of-order chunks each hold a packet-sized buffer, however small: past twice the receive window of such
        // buffers, only the next chunk in order (never buffered) is taken, so tiny chunks above a gap cannot pin
        // memory out of proportion to the bytes received. A sender retransmits what was dropped.
        if (tsn != tracker.CumulativeTsn + 1 && reassembly.HeldBufferBytes >= MaxHeldBufferBytes)
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "out-of-order buffers full");
            tracker.RequestAckNow();
            return true;
        }

        if (data.StreamId >= InboundStreams)
        {
            // §6.5: acknowledge, discard, and report Invalid Stream Identifier.
            var cause = new byte[ErrorCause.SizeOf(4)];
            ErrorCause.WriteInvalidStreamIdentifier(cause, data.StreamId);
            QueueError(cause);
            tracker.Add(tsn, immediate: true);
            reassembly.AddDiscarded(tsn, tracker.CumulativeTsn);
            return true;
        }

        tracker.Add(tsn, data.Immediate);
        reassembly.Add(data, tracker.CumulativeTsn);
        if (_state == SctpAssociationState.ShutdownSent)
        {
            // §9.2: in SHUTDOWN-SENT every packet with DATA is answered with SACK and SHUTDOWN, restarting T2.
            tracker.RequestAckNow();
            QueueShutdown(now);
        }

        return true;
    }

    /// <summary>SACK (§6.2.1): acknowledgements, RTT, congestion control, fast retransmit, T3.</summary>
    private void HandleSack(RawChunk chunk, TimeSpan now)
    {
        if (!AcceptsData || _cc is null)
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "SACK in state " + _state);
            return;
        }

        if (!SackChunk.TryParse(chunk, out var sack))
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "malformed SACK");
            return;
        }

        _sacksReceived++;
        ProcessAck(sack, now);
    }

    private void ProcessAck(in SackChunk sack, TimeSpan now)
    {
        var cc = _cc!;
        var flightBefore = _retransmissions.BytesInFlight;
        var outcome = _retransmissions.HandleSack(sack, now, cc.InFastRecovery);
        if (outcome.ProtocolViolation)
        {
            SctpLog.ChunkIgnored(_logger, (byte)ChunkType.Sack, "SACK acknowledges TSNs never sent");
            return;
        }

        if (!outcome.Accepted)
        {
            return;
        }

        if (outcome.RttSample is { } rtt)
        {
            _rto.Sample(rtt);
        }

        if (outcome.BytesNewlyAcked > 0)
        {
            _errorCount = 0;
            if (outcome.CumAdvanced)
            {
                _rto.ResetBackoff();
            }
        }

        cc.OnSack(outcome.CumAdvanced, sack.CumulativeTsnAck, outcome.BytesNewlyAcked, flightBefore, _retransmissions.BytesInFlight);
        _peerRwnd = Math.Max(0, (long)sack.ARwnd - _retransmissions.BytesInFlight);
        OnPeerWindow(sack.ARwnd, outcome.BytesNewlyAcked, now);
        if (outcome.NewFastRetransmits > 0)
        {
            _fastRetransmits++;
            if (!cc.InFastRecovery)
            {
                // §7.2.4: enter fast recovery and send one packet of retransmissions regardless of cwnd.
                cc.OnFastRetransmit(_retransmissions.NextTsn - 1);
                _fastRetransmitPending = true;
            }
        }

        if (_retransmissions.Count == 0)
        {
            _t3Rtx.Stop();
        }
        else if (outcome.CumAdvanced)
        {
            _t3Rtx.Start(now, _rto.Rto);
        }

        if (_retransmissions.ForwardTsnNeeded)
        {
            // RFC 3758 §3.5 C3/F2: the peer has not moved past the abandoned chunks yet.
            _forwardTsnPending = true;
        }
    }

    /// <summary>FORWARD TSN (RFC 3758 §3.6): move the cumulative TSN, skip abandoned messages, SACK at once.</summary>
    private void HandleForwardTsn(RawChunk chunk)
    {
        if (!AcceptsData || _tracker is null)
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "FORWARD TSN in state " + _state);
            return;
        }

        if (!ForwardTsnChunk.TryParse(chunk, out var forward))
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "malformed FORWARD TSN");
            return;
        }

        _forwardTsnsReceived++;
        var newCum = forward.NewCumulativeTsn;
        var reassembly = _reassembly!;
        if (SerialNumber.Gt(newCum, _tracker.CumulativeTsn) && !reassembly.InWindow(newCum))
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "FORWARD TSN beyond the receive window");
            _tracker.RequestAckNow();
            return;
        }

        _tracker.ForwardTo(newCum);
        reassembly.ForwardTo(newCum, forward, _tracker.CumulativeTsn);
    }

    /// <summary>
    /// Zero window probing (§6.1 A). While the peer's window cannot take another packet, a probe may be dropped by the
    /// peer (§6.2): those timeouts are not errors as long as the peer keeps answering, since a receiver may keep its window
    /// closed for as long as its reader is busy. When a SACK opens the window again without acknowledging the probe still
    /// in flight, the peer dropped it, so it is sent again now rather than after a backed-off retransmission timeout.
    /// </summary>
    private void OnPeerWindow(uint aRwnd, long newlyAcked, TimeSpan now)
    {
        // Closed: the peer cannot take one more packet while something is in flight (a window that is merely smaller
        // than what is in flight is ordinary flow, and says nothing of drops).
        var inFlight = _retransmissions.BytesInFlight;
        if (inFlight > 0 && aRwnd < _options.MaxPacketSize)
        {
            _peerWindowClosed = true;
            _zeroWindowSackSinceT3 = true;
            return;
        }

        if (_peerWindowClosed && (inFlight == 0 || aRwnd >= inFlight + _options.MaxPacketSize))
        {
            _peerWindowClosed = false;

            // A SACK that acknowledges nothing new yet opens the window: the probe in flight was dropped by the full
            // window. Only a probe's worth is resent; more in flight than that was not sent against a closed window.
            if (inFlight > 0 && inFlight <= _options.MaxPacketSize && newlyAcked == 0 && _retransmissions.MarkAllForRetransmission(now) > 0)
            {
                _rto.ResetBackoff();
                _t3Rtx.Start(now, _rto.Rto);
            }
        }
    }

    /// <summary>T3-rtx expiry (§6.3.3): back off, collapse cwnd, mark everything in flight for retransmission.</summary>
    private void OnT3Expired(TimeSpan now)
    {
        if (_retransmissions.Count == 0 || _cc is null)
        {
            return;
        }

        _t3Expirations++;
        _rto.Backoff();
        _cc.OnRetransmissionTimeout();
        var marked = _retransmissions.MarkAllForRetransmission(now);
        SctpLog.T3Expired(_logger, _rto.Rto.TotalMilliseconds, marked, _cc.Cwnd);
        if (_retransmissions.ForwardTsnNeeded)
        {
            _forwardTsnPending = true;
        }

        // §6.1 A: unacknowledged window probes do not count while the peer keeps answering.
        var probing = _zeroWindowSackSinceT3;
        _zeroWindowSackSinceT3 = false;
        if (!probing && CountError())
        {
            return;
        }

        if (_retransmissions.Count > 0)
        {
            _t3Rtx.Start(now, _rto.Rto);
        }
    }

    /// <summary>Association error counter (§8.1); true when it exceeded Association.Max.Retrans and the association failed.</summary>
    private bool CountError()
    {
        _errorCount++;
        if (_errorCount <= _options.MaxRetransmissions)
        {
            return false;
        }

        Span<byte> cause = stackalloc byte[64];
        var n = ErrorCause.WriteUserInitiatedAbort(cause, "too many retransmissions");
        SendAbort(cause[..n]);
        Terminate(new SctpCloseInfo(SctpCloseReason.MaxRetransmissions, $"{_errorCount - 1} consecutive retransmission timeouts"));
        return true;
    }
}
