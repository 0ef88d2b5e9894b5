using P2p.WebRtc.Sctp.Chunks;
using P2p.WebRtc.Sctp.ErrorCauses;
using P2p.WebRtc.Sctp.Parameters;

namespace P2p.WebRtc.Sctp;

/// <summary>
/// Timers (RFC 9260 §5.1 T1, §9.2 T2, §6.3 T3, §6.2 delayed SACK, §8.3 heartbeat), graceful shutdown
/// (§9.2), ABORT (§9.1) and ERROR (§3.3.10) handling.
/// </summary>
public sealed partial class SctpAssociation
{
    private bool CanSendNewData => _state is SctpAssociationState.Established or SctpAssociationState.ShutdownPending or SctpAssociationState.ShutdownReceived;

    /// <summary>Runs every timer whose deadline is at or before <paramref name="now"/>.</summary>
    public void HandleTimeout(TimeSpan now)
    {
        if (_terminal)
        {
            return;
        }

        if (_t1Init.TryExpire(now))
        {
            // §5.1 (T1-init): retransmit INIT with a doubled timeout, up to Max.Init.Retransmits.
            if (_t1Init.Expirations > _options.MaxInitRetransmissions)
            {
                Terminate(new SctpCloseInfo(SctpCloseReason.ConnectTimeout, $"no INIT ACK after {_options.MaxInitRetransmissions} retransmissions"));
                return;
            }

            _rto.Backoff();
            _alone.Enqueue((_initChunk!, 0));
            _t1Init.Start(now, _rto.Rto);
        }

        if (_t1Cookie.TryExpire(now))
        {
            if (_t1Cookie.Expirations > _options.MaxInitRetransmissions)
            {
                Terminate(new SctpCloseInfo(SctpCloseReason.ConnectTimeout, $"no COOKIE ACK after {_options.MaxInitRetransmissions} retransmissions"));
                return;
            }

            _rto.Backoff();
            _control.Enqueue(_cookieEchoChunk!);
            _t1Cookie.Start(now, _rto.Rto);
        }

        if (_t2Shutdown.TryExpire(now))
        {
            // §9.2 (T2-shutdown): retransmit SHUTDOWN / SHUTDOWN ACK; each expiry counts as an error.
            if (CountError())
            {
                return;
            }

            _rto.Backoff();
            if (_state == SctpAssociationState.ShutdownSent)
            {
                QueueShutdown(now);
            }
            else if (_state == SctpAssociationState.ShutdownAckSent)
            {
                QueueShutdownAck(now);
            }
        }

        if (_t3Rtx.TryExpire(now))
        {
            OnT3Expired(now);
            if (_terminal)
            {
                return;
            }
        }

        if (_delayedAck.TryExpire(now))
        {
            _tracker?.RequestAckNow();
        }

        if (_heartbeat.TryExpire(now))
        {
            OnHeartbeatTimer(now);
            if (_terminal)
            {
                return;
            }
        }

        if (_reconfigTimer.TryExpire(now))
        {
            OnReconfigTimeout();
        }
    }

    /// <summary>
    /// Starts a graceful close (RFC 9260 §9.2): no new messages are accepted, queued and
    /// outstanding data is delivered, then SHUTDOWN / SHUTDOWN ACK / SHUTDOWN COMPLETE. Before the
    /// association is established this simply closes it.
    /// </summary>
    public void Shutdown(TimeSpan now)
    {
        if (_terminal)
        {
            return;
        }

        switch (_state)
        {
            case SctpAssociationState.Closed:
            case SctpAssociationState.CookieWait:
            case SctpAssociationState.CookieEchoed:
                if (_state == SctpAssociationState.CookieEchoed)
                {
                    Span<byte> cause = stackalloc byte[64];
                    SendAbort(cause[..ErrorCause.WriteUserInitiatedAbort(cause, "closed")]);
                }

                Terminate(new SctpCloseInfo(SctpCloseReason.Shutdown, "closed before the association was established"));
                return;
            case SctpAssociationState.Established:
                SetState(SctpAssociationState.ShutdownPending);
                ProgressShutdown(now);
                return;
            default:
                return;
        }
    }

    /// <summary>Sends SHUTDOWN or SHUTDOWN ACK once everything queued and outstanding is acknowledged.</summary>
    private void ProgressShutdown(TimeSpan now)
    {
        if (_state is not (SctpAssociationState.ShutdownPending or SctpAssociationState.ShutdownReceived)
            || !_sendQueue.IsEmpty || _retransmissions.Count > 0)
        {
            return;
        }

        _t3Rtx.Stop();
        if (_state == SctpAssociationState.ShutdownPending)
        {
            SetState(SctpAssociationState.ShutdownSent);
            QueueShutdown(now);
        }
        else
        {
            SetState(SctpAssociationState.ShutdownAckSent);
            QueueShutdownAck(now);
        }
    }

    private void QueueShutdown(TimeSpan now)
    {
        var chunk = new byte[ShutdownChunk.Size];
        ShutdownChunk.Write(chunk, _tracker?.CumulativeTsn ?? 0);
        _control.Enqueue(chunk);
        _t2Shutdown.Start(now, _rto.Rto);
    }

    private void QueueShutdownAck(TimeSpan now)
    {
        var chunk = new byte[ShutdownAckChunk.Size];
        ShutdownAckChunk.Write(chunk);
        _control.Enqueue(chunk);
        _t2Shutdown.Start(now, _rto.Rto);
    }

    /// <summary>SHUTDOWN (§9.2): acknowledges our data cumulatively; finish sending, then SHUTDOWN ACK.</summary>
    private void HandleShutdown(RawChunk chunk, TimeSpan now)
    {
        if (!ShutdownChunk.TryParse(chunk, out var cum) || _cc is null)
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "SHUTDOWN malformed or before establishment");
            return;
        }

        switch (_state)
        {
            case SctpAssociationState.Established:
            case SctpAssociationState.ShutdownPending:
                ProcessCumulativeAck(cum, now);
                SetState(SctpAssociationState.ShutdownReceived);
                ProgressShutdown(now);
                break;
            case SctpAssociationState.ShutdownSent:
                // Both sides closed at once: answer with SHUTDOWN ACK right away.
                ProcessCumulativeAck(cum, now);
                SetState(SctpAssociationState.ShutdownAckSent);
                QueueShutdownAck(now);
                break;
            case SctpAssociationState.ShutdownReceived:
                ProcessCumulativeAck(cum, now);
                break;
        }
    }

    private void ProcessCumulativeAck(uint cum, TimeSpan now)
    {
        if (SerialNumber.Ge(cum, _retransmissions.CumulativeTsnAck) && SerialNumber.Lt(cum, _retransmissions.NextTsn))
        {
            var window = (uint)Math.Min(uint.MaxValue, _peerRwnd + _retransmissions.BytesInFlight);
            ProcessAck(SackChunk.CumulativeOnly(cum, window), now);
        }
    }

    /// <summary>SHUTDOWN ACK (§9.2): answer SHUTDOWN COMPLETE and close.</summary>
    private void HandleShutdownAck()
    {
        if (_state is not (SctpAssociationState.ShutdownSent or SctpAssociationState.ShutdownAckSent))
        {
            SctpLog.ChunkIgnored(_logger, (byte)ChunkType.ShutdownAck, "SHUTDOWN ACK in state " + _state);
            return;
        }

        var chunk = new byte[ShutdownCompleteChunk.Size];
        ShutdownCompleteChunk.Write(chunk, tagReflected: false);
        _alone.Enqueue((chunk, _peerTag));
        Terminate(new SctpCloseInfo(SctpCloseReason.Shutdown, "shut down"));
    }

    /// <summary>SHUTDOWN COMPLETE (§9.2): closed.</summary>
    private void HandleShutdownComplete()
    {
        if (_state != SctpAssociationState.ShutdownAckSent)
        {
            SctpLog.ChunkIgnored(_logger, (byte)ChunkType.ShutdownComplete, "SHUTDOWN COMPLETE in state " + _state);
            return;
        }

        Terminate(new SctpCloseInfo(SctpCloseReason.Shutdown, "shut down by the peer"));
    }

    /// <summary>ABORT (§9.1): close at once, reporting the peer's causes.</summary>
    private void HandleAbort(RawChunk chunk)
    {
        if (_state == SctpAssociationState.Closed && !_started)
        {
            Drop("ABORT with no association");
            return;
        }

        var (code, text) = ErrorCause.Describe(AbortChunk.Causes(chunk));
        Terminate(new SctpCloseInfo(SctpCloseReason.PeerAbort, text.Length > 0 ? text : "aborted by the peer", code));
    }

    /// <summary>ERROR (§3.3.10): reported as an event; a Stale Cookie during set-up restarts it with a fresh INIT (§5.2.6).</summary>
    private void HandleError(RawChunk chunk, TimeSpan now)
    {
        var (code, text) = ErrorCause.Describe(ErrorChunk.Causes(chunk));
        SctpLog.PeerError(_logger, text);
        if (code == SctpErrorCauseCode.StaleCookieError && _state == SctpAssociationState.CookieEchoed)
        {
            _t1Cookie.Stop();
            _control.Clear();
            if (++_t1Init.Expirations > _options.MaxInitRetransmissions)
            {
                Terminate(new SctpCloseInfo(SctpCloseReason.ConnectTimeout, "stale cookies", code));
                return;
            }

            _alone.Enqueue((_initChunk!, 0));
            SetState(SctpAssociationState.CookieWait);
            _t1Init.Start(now, _rto.Rto);
            return;
        }

        _events.Enqueue(new SctpEvent { Type = SctpEventType.PeerError, ErrorCause = code, Text = text });
    }

    /// <summary>HEARTBEAT (§8.3): echo the information unchanged.</summary>
    private void HandleHeartbeat(RawChunk chunk)
    {
        if (_peerTag == 0 || _state < SctpAssociationState.Established || !HeartbeatChunk.TryParse(chunk, out _))
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "HEARTBEAT malformed or before establishment");
            return;
        }

        var ack = new byte[ChunkWriter.Pad4(chunk.Whole.Length)];
        HeartbeatAckChunk.WriteEcho(ack, chunk.Value);
        _control.Enqueue(ack);
    }

    /// <summary>HEARTBEAT ACK (§8.3): an RTT sample and proof the peer is alive.</summary>
    private void HandleHeartbeatAck(RawChunk chunk, TimeSpan now)
    {
        if (!HeartbeatAckChunk.TryParse(chunk, out var info) || info.Length != 16)
        {
            return;
        }

        var sent = new TimeSpan(System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(info));
        var nonce = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(info[8..]);
        if (!_heartbeatOutstanding || nonce != _heartbeatNonce)
        {
            return;
        }

        _heartbeatOutstanding = false;
        _errorCount = 0;
        if (now >= sent)
        {
            _rto.Sample(now - sent);
        }
    }

    /// <summary>Sends a HEARTBEAT when the association has been idle for HB.interval (§8.3).</summary>
    private void OnHeartbeatTimer(TimeSpan now)
    {
        if (_heartbeatOutstanding)
        {
            _heartbeatOutstanding = false;
            _rto.Backoff();
            if (CountError())
            {
                return;
            }
        }

        if (_state >= SctpAssociationState.Established && now - _lastReceivedAt >= _options.HeartbeatInterval)
        {
            Span<byte> info = stackalloc byte[16];
            _heartbeatNonce = (ulong)_random.NextInt64();
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(info, now.Ticks);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(info[8..], _heartbeatNonce);
            var chunk = new byte[HeartbeatChunk.SizeOf(info.Length)];
            HeartbeatChunk.Write(chunk, info);
            _control.Enqueue(chunk);
            _heartbeatOutstanding = true;
        }

        _heartbeat.Start(now, _options.HeartbeatInterval + _rto.Rto);
    }
}
