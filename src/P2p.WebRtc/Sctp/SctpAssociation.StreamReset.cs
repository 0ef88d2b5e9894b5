using P2p.WebRtc.Sctp.Chunks;
using P2p.WebRtc.Sctp.Parameters;

namespace P2p.WebRtc.Sctp;

/// <summary>
/// Stream reset with RE-CONFIG (RFC 6525 §5): Outgoing SSN Reset Requests for streams the user (or,
/// per RFC 8831 §6.7, the peer's reset) closes, and the receiving side of the peer's requests with
/// Re-configuration Responses. Other request types are answered "Denied".
/// </summary>
public sealed partial class SctpAssociation
{
    private const int MaxStreamsPerRequest = 256;

    /// <summary>
    /// The most Re-configuration Responses queued for the peer (64). Each request parameter of a RE-CONFIG chunk is
    /// answered, and a request can be smaller than its answer's chunk, so a peer could otherwise queue answers faster
    /// than they leave; beyond this, requests go unanswered (dropped and logged) and a genuine peer asks again.
    /// </summary>
    internal const int MaxQueuedResponses = 64;

    /// <summary>
    /// The most incoming stream resets waiting for their last TSN (16). A genuine peer waits for the answer to one request
    /// before it sends the next, so a few is plenty; beyond this a request that would wait is answered "Error - Request already
    /// in progress" (RFC 6525 §4.4) instead of being held without bound.
    /// </summary>
    internal const int MaxDeferredIncomingResets = 16;
    private readonly List<ushort> _resetQueue = [];
    private readonly HashSet<ushort> _resetQueued = [];
    private readonly HashSet<ushort> _resetInFlight = [];
    private readonly HashSet<ushort> _closingByUs = [];
    private readonly List<ReconfigurationResponseParameter> _responses = [];
    private uint _myNextRequestSeq;
    private uint _peerNextRequestSeq;
    private bool _hasLastPeerRequest;
    private uint _lastPeerRequestSeq;
    private ReconfigurationResult _lastPeerResult;
    private OutgoingRequest? _request;
    private bool _hasLastIncomingReset;
    private uint _lastIncomingResetSeq;
    private uint _lastIncomingResetTsn;
    private ushort[] _lastIncomingResetStreams = [];
    private bool _requestNeedsSend;
    private bool _requestGotInProgress;

    /// <summary>
    /// Resets outgoing streams (RFC 6525 §5.1.2), the way a data channel closes (RFC 8831 §6.7):
    /// messages already queued on them are sent first; messages queued afterwards wait and go out
    /// with sequence numbers from 0 once the peer confirmed. Completion is reported by
    /// <see cref="SctpEventType.OutgoingStreamsReset"/>; the peer, resetting its own side in turn,
    /// produces <see cref="SctpEventType.IncomingStreamsReset"/>. Then the ids may be reused.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not established, or the peer does not support RE-CONFIG.</exception>
    public void ResetStreams(ReadOnlySpan<ushort> streamIds)
    {
        if (_terminal || _state != SctpAssociationState.Established)
        {
            throw new InvalidOperationException($"Streams can only be reset on an established association (state {_state}).");
        }

        if (!_peerReconfig)
        {
            throw new InvalidOperationException("The peer did not announce RE-CONFIG (RFC 6525) support.");
        }

        foreach (var id in streamIds)
        {
            _closingByUs.Add(id);
            QueueReset(id);
        }
    }

    private void QueueReset(ushort id)
    {
        if (!_resetInFlight.Contains(id) && _resetQueued.Add(id))
        {
            _resetQueue.Add(id);
            _sendQueue.RequestReset(id);
        }
    }

    /// <summary>Writes pending Re-configuration Responses and the current request, if due.</summary>
    private int WriteReconfig(Span<byte> destination, int pos, int mtu, TimeSpan now)
    {
        Span<byte> p = stackalloc byte[ReconfigurationResponseParameter.Size];
        while (_responses.Count > 0 && pos + RawChunk.HeaderSize + ReconfigurationResponseParameter.Size <= mtu)
        {
            var n = _responses[0].Write(p);
            _responses.RemoveAt(0);
            pos += ReConfigChunk.Write(destination[pos..], p[..n]);
        }

        if (_request is null)
        {
            TryCreateRequest();
        }

        if (_request is { } r && _requestNeedsSend)
        {
            var size = RawChunk.HeaderSize + OutgoingSsnResetRequestParameter.SizeOf(r.Streams.Length);
            if (pos + size <= mtu)
            {
                var parameter = destination.Slice(pos + RawChunk.HeaderSize, size - RawChunk.HeaderSize);
                var n = OutgoingSsnResetRequestParameter.Write(parameter, r.Seq, _peerNextRequestSeq - 1, r.LastTsn, r.Streams);
                pos += ChunkWriter.Header(destination[pos..], ChunkType.ReConfig, 0, RawChunk.HeaderSize + n);
                _requestNeedsSend = false;
                _reconfigTimer.Start(now, _rto.Rto);
            }
        }

        return pos;
    }

    /// <summary>Builds a request for the queued streams whose earlier messages all have TSNs (RFC 6525 §5.1.2).</summary>
    private void TryCreateRequest()
    {
        if (_resetQueue.Count == 0 || !_peerReconfig || _state != SctpAssociationState.Established)
        {
            return;
        }

        List<ushort>? ready = null;
        foreach (var id in _resetQueue)
        {
            if (_sendQueue.IsReadyForReset(id))
            {
                (ready ??= []).Add(id);
                if (ready.Count == MaxStreamsPerRequest)
                {
                    break;
                }
            }
        }

        if (ready is null)
        {
            return;
        }

        foreach (var id in ready)
        {
            _resetQueue.Remove(id);
            _resetQueued.Remove(id);
            _resetInFlight.Add(id);
        }

        _request = new OutgoingRequest(_myNextRequestSeq++, [.. ready], _retransmissions.NextTsn - 1);
        _requestNeedsSend = true;
        _requestGotInProgress = false;
        SctpLog.StreamReset(_logger, $"requesting reset of {ready.Count} outgoing stream(s), seq {_request.Seq}");
    }

    private void HandleReConfig(RawChunk chunk, TimeSpan now)
    {
        if (_reassembly is null || _state is not (SctpAssociationState.Established or SctpAssociationState.ShutdownPending
            or SctpAssociationState.ShutdownSent or SctpAssociationState.ShutdownReceived))
        {
            SctpLog.ChunkIgnored(_logger, chunk.TypeByte, "RE-CONFIG in state " + _state);
            return;
        }

        var it = ReConfigChunk.Parameters(chunk);
        while (it.MoveNext(out var p))
        {
            switch (p.Type)
            {
                case ParameterType.OutgoingSsnResetRequest when OutgoingSsnResetRequestParameter.TryParse(p, out var request):
                    HandleOutgoingResetRequest(request);
                    break;
                case ParameterType.ReconfigurationResponse when ReconfigurationResponseParameter.TryParse(p, out var response):
                    HandleReconfigResponse(response, now);
                    break;
                case ParameterType.IncomingSsnResetRequest when IncomingSsnResetRequestParameter.TryParse(p, out var incoming):
                    DenyRequest(incoming.RequestSequenceNumber);
                    break;
                case ParameterType.SsnTsnResetRequest when SsnTsnResetRequestParameter.TryParse(p, out var seq):
                    DenyRequest(seq);
                    break;
                case ParameterType.AddOutgoingStreamsRequest or ParameterType.AddIncomingStreamsRequest
                    when AddStreamsRequestParameter.TryParse(p, out var seq2, out _):
                    DenyRequest(seq2);
                    break;
                default:
                    SctpLog.ChunkIgnored(_logger, chunk.TypeByte, $"RE-CONFIG parameter {p.TypeValue} ignored");
                    break;
            }
        }
    }

    /// <summary>
    /// RFC 6525 §5.2.1: a request with the expected sequence number is new; the previous one is a
    /// retransmission (answered with the same result); anything else is a bad sequence number.
    /// </summary>
    private bool AcceptRequestSeq(uint seq)
    {
        if (seq == _peerNextRequestSeq)
        {
            _peerNextRequestSeq++;
            _hasLastPeerRequest = true;
            _lastPeerRequestSeq = seq;
            return true;
        }

        var result = _hasLastPeerRequest && seq == _lastPeerRequestSeq ? _lastPeerResult : ReconfigurationResult.ErrorBadSequenceNumber;
        QueueResponse(seq, result);
        return false;
    }

    private void QueueResponse(uint seq, ReconfigurationResult result)
    {
        if (_responses.Count >= MaxQueuedResponses)
        {
            SctpLog.StreamReset(_logger, $"response to peer request seq {seq} dropped: {MaxQueuedResponses} responses already queued");
            return;
        }

        _responses.Add(new ReconfigurationResponseParameter(seq, result));
    }

    private void DenyRequest(uint seq)
    {
        if (AcceptRequestSeq(seq))
        {
            _lastPeerResult = ReconfigurationResult.Denied;
            QueueResponse(seq, ReconfigurationResult.Denied);
        }
    }

    /// <summary>
    /// RFC 6525 §5.2.2: reset the peer's outgoing (our incoming) streams once every TSN up to its last
    /// assigned TSN arrived; until then answer "In progress" and hold later data.
    /// </summary>
    private void HandleOutgoingResetRequest(in OutgoingSsnResetRequestParameter request)
    {
        var seq = request.RequestSequenceNumber;
        if (!AcceptRequestSeq(seq))
        {
            return;
        }

        var streams = request.GetStreams();
        if (_hasLastIncomingReset && request.SendersLastAssignedTsn == _lastIncomingResetTsn && streams.AsSpan().SequenceEqual(_lastIncomingResetStreams))
        {
            // The same reset again under a new sequence number: a sender that retries after "In
            // progress" with a fresh number (as dcSCTP does). Report its state; never reset twice.
            _lastPeerResult = _reassembly!.IsResetDeferred(_lastIncomingResetSeq) ? ReconfigurationResult.InProgress : ReconfigurationResult.SuccessPerformed;
            QueueResponse(seq, _lastPeerResult);
            return;
        }

        if (!_reassembly!.IsResetDue(request.SendersLastAssignedTsn) && _reassembly.DeferredResetCount >= MaxDeferredIncomingResets)
        {
            SctpLog.StreamReset(_logger, $"peer reset seq {seq} refused: {MaxDeferredIncomingResets} resets already wait for data");
            _lastPeerResult = ReconfigurationResult.ErrorRequestAlreadyInProgress;
            QueueResponse(seq, _lastPeerResult);
            return;
        }

        _hasLastIncomingReset = true;
        _lastIncomingResetSeq = seq;
        _lastIncomingResetTsn = request.SendersLastAssignedTsn;
        _lastIncomingResetStreams = streams;
        var done = _reassembly!.ScheduleReset(seq, request.SendersLastAssignedTsn, streams);
        if (done)
        {
            // The response and event are produced by DrainPerformedResets.
            _lastPeerResult = ReconfigurationResult.SuccessPerformed;
        }
        else
        {
            _lastPeerResult = ReconfigurationResult.InProgress;
            QueueResponse(seq, ReconfigurationResult.InProgress);
        }
    }

    /// <summary>Reports incoming resets that took effect, answers them, and closes our side too (RFC 8831 §6.7).</summary>
    private void DrainPerformedResets()
    {
        var performed = _reassembly!.PerformedResets;
        if (performed.Count == 0)
        {
            return;
        }

        foreach (var (seq, streams) in performed)
        {
            if (_hasLastPeerRequest && seq == _lastPeerRequestSeq)
            {
                _lastPeerResult = ReconfigurationResult.SuccessPerformed;
            }

            QueueResponse(seq, ReconfigurationResult.SuccessPerformed);
            SctpLog.StreamReset(_logger, $"peer reset {streams.Length} stream(s), seq {seq}");
            _events.Enqueue(new SctpEvent { Type = SctpEventType.IncomingStreamsReset, Streams = streams });
            foreach (var id in streams)
            {
                if (!_closingByUs.Remove(id) && _options.ResetOutgoingOnIncomingReset && _peerReconfig
                    && _state == SctpAssociationState.Established)
                {
                    QueueReset(id);
                }
            }
        }

        performed.Clear();
    }

    private void HandleReconfigResponse(ReconfigurationResponseParameter response, TimeSpan now)
    {
        if (_request is not { } r || response.ResponseSequenceNumber != r.Seq)
        {
            return;
        }

        switch (response.Result)
        {
            case ReconfigurationResult.SuccessPerformed:
            case ReconfigurationResult.SuccessNothingToDo:
                FinishRequest(r, performed: true);
                break;
            case ReconfigurationResult.InProgress:
                // The peer waits for data; ask again after an RTO (not an error).
                _requestGotInProgress = true;
                _reconfigTimer.Start(now, _rto.Rto);
                break;
            default:
                SctpLog.StreamReset(_logger, $"peer refused reset seq {r.Seq}: {response.Result}");
                FinishRequest(r, performed: false);
                break;
        }
    }

    private void FinishRequest(OutgoingRequest r, bool performed)
    {
        _reconfigTimer.Stop();
        _request = null;
        _requestNeedsSend = false;
        foreach (var id in r.Streams)
        {
            _resetInFlight.Remove(id);
            _sendQueue.CompleteReset(id, performed);
            if (!performed)
            {
                _closingByUs.Remove(id);
            }
        }

        _events.Enqueue(new SctpEvent
        {
            Type = performed ? SctpEventType.OutgoingStreamsReset : SctpEventType.StreamsResetFailed,
            Streams = r.Streams,
        });
    }

    private void OnReconfigTimeout()
    {
        if (_request is null)
        {
            return;
        }

        if (!_requestGotInProgress)
        {
            _rto.Backoff();
            if (CountError())
            {
                return;
            }
        }

        _requestGotInProgress = false;
        _requestNeedsSend = true;
    }

    private sealed record OutgoingRequest(uint Seq, ushort[] Streams, uint LastTsn);
}
