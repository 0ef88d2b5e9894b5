using P2p.WebRtc.Sctp.Chunks;
using P2p.WebRtc.Sctp.ErrorCauses;
using P2p.WebRtc.Sctp.Packets;

namespace P2p.WebRtc.Sctp;

/// <summary>Packet input (validation, verification tags, chunk dispatch) and packet output (bundling).</summary>
public sealed partial class SctpAssociation
{
    /// <summary>
    /// Cap on chunks sent and not yet cumulatively acknowledged. The byte windows already bound bulk
    /// data; this bounds tiny messages, whose count a byte window does not limit, to what a receiver
    /// can track (gap ack block offsets are 16-bit, RFC 9260 §3.3.4).
    /// </summary>
    private const int MaxOutstandingChunks = 16384;

    /// <summary>Chunks queued for the next packets, each already encoded (control chunks, RFC 9260 §6.10: before DATA).</summary>
    private readonly Queue<byte[]> _control = new();

    /// <summary>Packets that must travel alone (INIT, INIT ACK, SHUTDOWN COMPLETE, ABORT) with their verification tag.</summary>
    private readonly Queue<(byte[] Chunk, uint Tag)> _alone = new();

    /// <summary>
    /// Processes one received SCTP packet. Malformed, mis-addressed, forged (checksum, verification
    /// tag) or out-of-state input is dropped and counted; it never throws for bad input.
    /// </summary>
    public void HandlePacket(ReadOnlySpan<byte> packet, TimeSpan now)
    {
        if (_terminal)
        {
            Drop("association closed");
            return;
        }

        if (packet.Length < SctpCommonHeader.Size + RawChunk.HeaderSize)
        {
            Drop("too short");
            return;
        }

        if (!Crc32c.Verify(packet, _crc))
        {
            Drop("bad checksum");
            return;
        }

        SctpCommonHeader.TryRead(packet, out var header);
        if (header.DestinationPort != _options.LocalPort || header.SourcePort != _options.RemotePort)
        {
            Drop("wrong ports");
            return;
        }

        // Walk the structure once before acting on any chunk.
        var body = packet[SctpCommonHeader.Size..];
        var scan = new ChunkIterator(body);
        var count = 0;
        RawChunk first = default;
        while (scan.MoveNext(out var c))
        {
            if (count++ == 0)
            {
                first = c;
            }
        }

        if (scan.Malformed || count == 0)
        {
            Drop("malformed chunks");
            return;
        }

        if (!CheckVerificationTag(header, first, count))
        {
            return;
        }

        _packetsReceived++;
        _lastReceivedAt = now;
        _tracker?.BeginPacket();
        var it = new ChunkIterator(body);
        while (!_terminal && it.MoveNext(out var chunk))
        {
            if (!HandleChunk(chunk, header, now))
            {
                break;
            }
        }

        AfterPacket(now);
    }

    /// <summary>
    /// Writes the next packet to send into <paramref name="destination"/> and returns its length, or
    /// 0 when there is nothing to send now. Call repeatedly until it returns 0. Bundles control
    /// chunks, a SACK, FORWARD TSN and RE-CONFIG first, then retransmissions, then new DATA as far as
    /// the congestion and receive windows allow (RFC 9260 §6.1, §6.10).
    /// </summary>
    /// <param name="destination">At least <see cref="SctpOptions.MaxPacketSize"/> bytes, or as much as the lower layer carries.</param>
    /// <param name="now">The current time.</param>
    public int BuildPacket(Span<byte> destination, TimeSpan now)
    {
        var mtu = Math.Min(destination.Length, _options.MaxPacketSize);
        if (_alone.TryDequeue(out var alone))
        {
            if (SctpCommonHeader.Size + alone.Chunk.Length > destination.Length)
            {
                return 0;
            }

            new SctpCommonHeader(_options.LocalPort, _options.RemotePort, alone.Tag).Write(destination);
            alone.Chunk.CopyTo(destination[SctpCommonHeader.Size..]);
            var length = SctpCommonHeader.Size + alone.Chunk.Length;
            Crc32c.Stamp(destination[..length]);
            _packetsSent++;
            return length;
        }

        if (_terminal || _state is SctpAssociationState.Closed or SctpAssociationState.CookieWait)
        {
            return 0;
        }

        var pos = SctpCommonHeader.Size;
        while (_control.Count > 0 && pos + _control.Peek().Length <= mtu)
        {
            var c = _control.Dequeue();
            c.CopyTo(destination[pos..]);
            pos += c.Length;
        }

        var tracker = _tracker;
        if (tracker is null)
        {
            return Finish(destination, pos);
        }

        var dataState = _state is SctpAssociationState.Established or SctpAssociationState.ShutdownPending
            or SctpAssociationState.ShutdownReceived or SctpAssociationState.ShutdownSent;
        var cc = _cc!;
        var inFlight = _retransmissions.BytesInFlight;
        var wantData = dataState
            && ((_retransmissions.HasRetransmissions && (_fastRetransmitPending || inFlight < cc.Cwnd))
                || (_sendQueue.HasData && CanSendNewData && inFlight < cc.Cwnd && (_peerRwnd > 0 || inFlight == 0)));

        if (tracker.AckOwed && (tracker.AckNow || pos > SctpCommonHeader.Size || wantData || _forwardTsnPending || _responses.Count > 0))
        {
            var room = mtu - pos;
            if (tracker.SackSize(room) <= room)
            {
                var window = AdvertisedWindow();
                pos += tracker.WriteSack(destination[pos..], room, window);
                _lastAdvertisedWindow = window;
                _delayedAck.Stop();
                _sacksSent++;
            }
        }

        if (_forwardTsnPending && dataState)
        {
            if (_retransmissions.ForwardTsnNeeded)
            {
                var n = _retransmissions.WriteForwardTsn(destination[pos..], mtu - pos);
                if (n > 0)
                {
                    pos += n;
                    _forwardTsnsSent++;
                    _forwardTsnPending = false;
                    _t3Rtx.StartIfStopped(now, _rto.Rto);
                }
            }
            else
            {
                _forwardTsnPending = false;
            }
        }

        pos = WriteReconfig(destination, pos, mtu, now);

        if (dataState)
        {
            pos = WriteData(destination, pos, mtu, now);
        }

        return Finish(destination, pos);
    }

    private int Finish(Span<byte> destination, int pos)
    {
        if (pos == SctpCommonHeader.Size)
        {
            return 0;
        }

        new SctpCommonHeader(_options.LocalPort, _options.RemotePort, _peerTag).Write(destination);
        Crc32c.Stamp(destination[..pos]);
        _packetsSent++;
        return pos;
    }

    /// <summary>Retransmissions first (lowest TSN first), then new fragments, within cwnd and the peer's window.</summary>
    private int WriteData(Span<byte> destination, int pos, int mtu, TimeSpan now)
    {
        var cc = _cc!;
        var ignoreCwnd = _fastRetransmitPending;
        var wroteData = false;
        while (_retransmissions.TryPeekRetransmission(now, out var tsn, out var length))
        {
            // The chunk is padded to 4 bytes (RFC 9260 §3.2): the padding must fit too, or writing it would run past the packet.
            if (pos + ChunkWriter.Pad4(DataChunk.HeaderSize + length) > mtu)
            {
                break;
            }

            if (!ignoreCwnd && _retransmissions.BytesInFlight >= cc.Cwnd)
            {
                break;
            }

            if (tsn == _retransmissions.CumulativeTsnAck + 1)
            {
                // §6.3.2 R4: retransmitting the earliest outstanding chunk restarts T3.
                _t3Rtx.Start(now, _rto.Rto);
            }

            pos += _retransmissions.WriteRetransmission(tsn, destination[pos..], now);
            wroteData = true;
        }

        if (wroteData)
        {
            _fastRetransmitPending = false;
        }

        if (!_retransmissions.HasRetransmissions && CanSendNewData)
        {
            if (_retransmissions.BytesInFlight == 0 && _lastDataSentAt != default && now - _lastDataSentAt > _rto.Rto)
            {
                cc.OnIdle();
                _lastDataSentAt = now;
            }

            var immediate = _state == SctpAssociationState.ShutdownPending;
            while (true)
            {
                var room = ((mtu - pos - DataChunk.HeaderSize) & ~3);
                var inFlight = _retransmissions.BytesInFlight;
                if (room < 4 || inFlight >= cc.Cwnd || _retransmissions.Count >= MaxOutstandingChunks)
                {
                    break;
                }

                var maxPayload = Math.Min(room, _maxPayload);
                if (inFlight > 0)
                {
                    // §6.1 A: do not exceed the peer's window (one chunk may probe a zero window when nothing is in flight).
                    if (_peerRwnd <= 0)
                    {
                        break;
                    }

                    maxPayload = (int)Math.Min(maxPayload, _peerRwnd);
                }

                var minFragment = Math.Min(256, _maxPayload);
                if (!_sendQueue.TryNextFragment(maxPayload, minFragment, now, out var message, out var offset, out var length, out var flags))
                {
                    break;
                }

                if (immediate && !_sendQueue.HasData)
                {
                    flags |= DataChunk.FlagImmediate;
                }

                var tsn = _retransmissions.Add(message, offset, length, flags, now);
                pos += DataChunk.Write(destination[pos..], flags, tsn, message.StreamId, message.Ssn, message.Ppid, message.Data(offset, length));
                _peerRwnd -= length;
                _dataChunksSent++;
                wroteData = true;
            }
        }

        if (wroteData)
        {
            _lastDataSentAt = now;
            _t3Rtx.StartIfStopped(now, _rto.Rto);
        }

        return pos;
    }

    /// <summary>a_rwnd (§6.2): the window less what reassembly holds and what the upper layer holds unconsumed.</summary>
    private uint AdvertisedWindow()
        => (uint)Math.Max(0, _options.ReceiveWindow - (_reassembly?.BufferedBytes ?? 0) - _heldBytes);

    /// <summary>RFC 9260 §8.5, §8.5.1: which verification tag each kind of packet must carry.</summary>
    private bool CheckVerificationTag(SctpCommonHeader header, RawChunk first, int count)
    {
        var vtag = header.VerificationTag;
        switch (first.Type)
        {
            case ChunkType.Init:
                if (vtag != 0 || count != 1)
                {
                    Drop("INIT with a non-zero tag or bundled");
                    return false;
                }

                return true;
            case ChunkType.Abort when (first.Flags & AbortChunk.FlagT) != 0:
            case ChunkType.ShutdownComplete when (first.Flags & ShutdownCompleteChunk.FlagT) != 0:
                if (_peerTag == 0 || vtag != _peerTag)
                {
                    Drop("reflected tag mismatch");
                    return false;
                }

                return true;
            case ChunkType.ShutdownAck when _state is SctpAssociationState.Closed or SctpAssociationState.CookieWait:
                // §8.4 (5): out of the blue SHUTDOWN ACK: answer SHUTDOWN COMPLETE with the T bit.
                var chunk = new byte[ShutdownCompleteChunk.Size];
                ShutdownCompleteChunk.Write(chunk, tagReflected: true);
                _alone.Enqueue((chunk, vtag));
                Drop("out of the blue SHUTDOWN ACK");
                return false;
            default:
                if (vtag != _localTag)
                {
                    Drop("verification tag mismatch");
                    return false;
                }

                if (first.Type == ChunkType.InitAck && count != 1)
                {
                    Drop("INIT ACK bundled");
                    return false;
                }

                return true;
        }
    }

    /// <summary>Handles one chunk; false stops processing the rest of the packet.</summary>
    private bool HandleChunk(RawChunk chunk, SctpCommonHeader header, TimeSpan now)
    {
        switch (chunk.Type)
        {
            case ChunkType.Data:
                return HandleData(chunk, now);
            case ChunkType.Sack:
                HandleSack(chunk, now);
                return true;
            case ChunkType.Init:
                HandleInit(chunk, now);
                return false;
            case ChunkType.InitAck:
                HandleInitAck(chunk, now);
                return false;
            case ChunkType.CookieEcho:
                return HandleCookieEcho(chunk, now);
            case ChunkType.CookieAck:
                HandleCookieAck(now);
                return true;
            case ChunkType.Heartbeat:
                HandleHeartbeat(chunk);
                return true;
            case ChunkType.HeartbeatAck:
                HandleHeartbeatAck(chunk, now);
                return true;
            case ChunkType.Abort:
                HandleAbort(chunk);
                return false;
            case ChunkType.Shutdown:
                HandleShutdown(chunk, now);
                return true;
            case ChunkType.ShutdownAck:
                HandleShutdownAck();
                return false;
            case ChunkType.ShutdownComplete:
                HandleShutdownComplete();
                return false;
            case ChunkType.Error:
                HandleError(chunk, now);
                return true;
            case ChunkType.ForwardTsn:
                HandleForwardTsn(chunk);
                return true;
            case ChunkType.ReConfig:
                HandleReConfig(chunk, now);
                return true;
            default:
                return HandleUnknownChunk(chunk);
        }
    }

    /// <summary>RFC 9260 §3.2: an unrecognised chunk type's upper two bits say skip or stop, report or not.</summary>
    private bool HandleUnknownChunk(RawChunk chunk)
    {
        SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "unrecognised chunk type");
        if (ChunkTypeExtensions.Report(chunk.TypeByte) && _peerTag != 0)
        {
            var whole = chunk.Whole;
            var max = _options.MaxPacketSize - SctpCommonHeader.Size - RawChunk.HeaderSize - 4;
            if (whole.Length > max)
            {
                whole = whole[..(max & ~3)];
            }

            var cause = new byte[ErrorCause.SizeOf(whole.Length)];
            ErrorCause.Write(cause, SctpErrorCauseCode.UnrecognizedChunkType, whole);
            QueueError(cause);
        }

        return ChunkTypeExtensions.SkipAndContinue(chunk.TypeByte);
    }

    private void QueueError(ReadOnlySpan<byte> causes)
    {
        var chunk = new byte[ChunkWriter.Pad4(RawChunk.HeaderSize + causes.Length)];
        ErrorChunk.Write(chunk, causes);
        _control.Enqueue(chunk);
    }

    private void SendAbort(ReadOnlySpan<byte> causes)
    {
        if (_peerTag == 0)
        {
            return;
        }

        var chunk = new byte[ChunkWriter.Pad4(RawChunk.HeaderSize + causes.Length)];
        AbortChunk.Write(chunk, tagReflected: false, causes);
        _alone.Enqueue((chunk, _peerTag));
    }

    /// <summary>Aborts because the peer broke the protocol, with the given error cause (RFC 9260 §3.3.10).</summary>
    private void AbortWithCause(SctpErrorCauseCode code, ReadOnlySpan<byte> information, string text)
    {
        var cause = new byte[ErrorCause.SizeOf(information.Length)];
        ErrorCause.Write(cause, code, information);
        SendAbort(cause);
        Terminate(new SctpCloseInfo(SctpCloseReason.ProtocolViolation, text, code));
    }

    /// <summary>Aborts with a Protocol Violation cause (RFC 9260 §3.3.10.13) explaining why.</summary>
    private void AbortProtocolViolation(string text)
        => AbortWithCause(SctpErrorCauseCode.ProtocolViolation, System.Text.Encoding.UTF8.GetBytes(text), text);

    /// <summary>Work after all chunks of a packet: SACK timing, deferred resets, shutdown progress.</summary>
    private void AfterPacket(TimeSpan now)
    {
        if (_terminal)
        {
            return;
        }

        var tracker = _tracker;
        if (tracker is not null)
        {
            tracker.EndPacket();
            if (tracker.AckOwed && !tracker.AckNow)
            {
                _delayedAck.StartIfStopped(now, _options.DelayedAckTimeout);
            }

            if (_reassembly!.MessageTooLarge)
            {
                AbortProtocolViolation($"message larger than {_options.MaxReceiveMessageSize} bytes");
                return;
            }

            DrainPerformedResets();
        }

        ProgressShutdown(now);
    }
}
