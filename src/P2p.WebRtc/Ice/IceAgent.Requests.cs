using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Net;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Ice;

/// <summary>Incoming datagrams: demultiplexing (RFC 7983) and incoming checks (RFC 8445 §7.3).</summary>
public sealed partial class IceAgent
{
    /// <summary>Called on a socket's receive thread for every datagram.</summary>
    private void OnDatagram(HostSocket socket, ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        if (datagram.IsEmpty)
        {
            return;
        }

        var first = datagram[0];
        if (first <= 3)
        {
            OnStun(socket, datagram, remote);
        }
        else if (first is >= 20 and <= 63)
        {
            _transport.Deliver(socket, datagram, remote);
        }
        else
        {
            _transport.CountDropped(); // RFC 7983: not STUN or DTLS (no RTP/TURN channels here)
        }
    }

    private void OnStun(HostSocket socket, ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        var result = StunMessage.TryParse(datagram, out var msg);
        if (result != StunParseResult.Success)
        {
            Interlocked.Increment(ref _stunDropped);
            _logger.LogDebug("ICE {Ufrag}: malformed STUN ({Result}) dropped", LocalUfrag, result);
            return;
        }

        if (msg.Method != StunMethod.Binding)
        {
            Interlocked.Increment(ref _stunDropped);
            return;
        }

        var source = EndpointKey.From(remote);
        if (!source.IsValid)
        {
            return;
        }

        lock (_sync)
        {
            if (_disposed || _state is IceConnectionState.Failed)
            {
                return;
            }

            var now = Now;
            switch (msg.Class)
            {
                case StunMessageClass.Request:
                    HandleRequest(socket, msg, source, remote, now);
                    break;
                case StunMessageClass.SuccessResponse or StunMessageClass.ErrorResponse:
                    HandleResponse(socket, msg, source, now);
                    break;
                default:
                    break; // Binding indications are keepalives (RFC 8445 §11)
            }

            RescheduleTimer(now);
        }
    }

    /// <summary>An incoming check (RFC 8445 §7.3, authenticated per RFC 8489 §9.1.3).</summary>
    private void HandleRequest(HostSocket socket, StunMessage msg, EndpointKey source, SocketAddress remote, TimeSpan now)
    {
        if (!msg.TryGetAttribute(StunAttributeType.Username, out var username) || !msg.HasMessageIntegrity)
        {
            SendError(socket, msg.TransactionId, remote, StunErrorCodes.BadRequest, signed: false, []);
            Interlocked.Increment(ref _stunDropped);
            return;
        }

        if (socket.Retired || !username.StartsWith(_localUsernamePrefix) || !msg.VerifyMessageIntegrity(_localKey))
        {
            if (TryAnswerPathGeneration(socket, msg, username, remote, source))
            {
                return;
            }

            _logger.LogDebug("ICE {Ufrag}: unauthenticated check from {Source}", LocalUfrag, source);
            SendError(socket, msg.TransactionId, remote, StunErrorCodes.Unauthenticated, signed: false, []);
            Interlocked.Increment(ref _stunDropped);
            return;
        }

        // RFC 8489 §6.3.1: unknown comprehension-required attributes → 420 listing them.
        Span<ushort> unknown = stackalloc ushort[16];
        var unknownCount = msg.GetUnknownComprehensionRequired(unknown);
        if (unknownCount > 0)
        {
            SendError(socket, msg.TransactionId, remote, StunErrorCodes.UnknownAttribute, signed: true, unknown[..unknownCount]);
            return;
        }

        if (!msg.TryGetUInt32(StunAttributeType.Priority, out var priority))
        {
            SendError(socket, msg.TransactionId, remote, StunErrorCodes.BadRequest, signed: true, []);
            return;
        }

        Interlocked.Increment(ref _checksReceived);

        // RFC 8445 §7.3.1.1: role conflict.
        if (_role == IceRole.Controlling && msg.TryGetUInt64(StunAttributeType.IceControlling, out var theirs))
        {
            if (TieBreaker >= theirs)
            {
                SendError(socket, msg.TransactionId, remote, StunErrorCodes.RoleConflict, signed: true, []);
                return;
            }

            SwitchRole(IceRole.Controlled);
        }
        else if (_role == IceRole.Controlled && msg.TryGetUInt64(StunAttributeType.IceControlled, out theirs))
        {
            if (TieBreaker >= theirs)
            {
                SwitchRole(IceRole.Controlling);
            }
            else
            {
                SendError(socket, msg.TransactionId, remote, StunErrorCodes.RoleConflict, signed: true, []);
                return;
            }
        }

        if (_peerReflexiveLearned >= MaxPeerReflexiveCandidates && !_remoteByKey.ContainsKey(source))
        {
            if (!_peerReflexiveCapped)
            {
                _peerReflexiveCapped = true;
                _logger.LogWarning("ICE {Ufrag}: checks from more than {Max} unsignalled addresses; those from further ones are dropped", LocalUfrag, MaxPeerReflexiveCandidates);
            }

            Interlocked.Increment(ref _stunDropped);
            return;
        }

        var useCandidate = msg.HasAttribute(StunAttributeType.UseCandidate);
        var sourceEndPoint = source.ToIPEndPoint();
        SendSuccess(socket, msg.TransactionId, sourceEndPoint, remote);

        // The peer knows our credentials and now has our response: it may send data (its DTLS
        // ClientHello) at once, before our own check of this pair succeeds. Dropping that would cost
        // a DTLS retransmission timeout (50 ms and more with Chromium).
        socket.Accept(source);
        if (_state == IceConnectionState.New && _remoteKey is not null)
        {
            SetState(IceConnectionState.Checking);
        }

        // §7.3.1.3: a source we were not told about is a peer-reflexive remote candidate.
        if (!_remoteByKey.TryGetValue(source, out var remoteCandidate))
        {
            remoteCandidate = LearnPeerReflexive(sourceEndPoint, priority);
        }

        // After selection no new checks start (§8.1.2) — except for a pair the controlling peer
        // nominates now (browsers move to a better pair, e.g. one learned as peer-reflexive, by
        // nominating it): it is checked so that it can become valid and be selected instead.
        var renominated = _checksStopped && useCandidate && _role == IceRole.Controlled;
        var pair = _checkList.Find(p => p.Local.Base == socket && p.Remote == remoteCandidate);
        if (pair is null && (!_checksStopped || renominated))
        {
            pair = FormPair(socket.Host, remoteCandidate);
        }

        // §7.3.1.4: triggered check.
        if (pair is not null && (!_checksStopped || renominated) && pair.State != IceCandidatePairState.Succeeded)
        {
            EnqueueTriggered(pair);
        }

        // §7.3.1.5: the controlled agent notes the nomination; it selects the pair once it is valid.
        if (useCandidate && _role == IceRole.Controlled && pair is not null)
        {
            if (pair.State == IceCandidatePairState.Succeeded)
            {
                var nominatedNow = !pair.Nominated;
                pair.Nominated = true;
                SelectNominated(now, nominatedNow ? pair : null);
            }
            else
            {
                pair.NominateOnSuccess = true;
            }
        }

        PaceChecks(now);
        UpdateConnectionState();
    }

    private void SendSuccess(HostSocket socket, StunTransactionId id, IPEndPoint source, SocketAddress remote, byte[]? key = null)
    {
        Span<byte> buffer = stackalloc byte[128];
        var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.SuccessResponse, id);
        w.AddXorAddress(source);
        w.AddMessageIntegrity(key ?? _localKey);
        w.AddFingerprint();
        TrySend(socket, w.Written, remote);
    }

    private void SendError(HostSocket socket, StunTransactionId id, SocketAddress remote, int code, bool signed, ReadOnlySpan<ushort> unknown)
    {
        Span<byte> buffer = stackalloc byte[160];
        var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.ErrorResponse, id);
        w.AddErrorCode(code);
        if (!unknown.IsEmpty)
        {
            w.AddUnknownAttributes(unknown);
        }

        if (signed)
        {
            w.AddMessageIntegrity(_localKey);
        }

        w.AddFingerprint();
        TrySend(socket, w.Written, remote);
    }

    private static void TrySend(HostSocket socket, ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        try
        {
            socket.Socket.Send(datagram, remote);
        }
        catch (ObjectDisposedException)
        {
            // closing
        }
    }
}
