using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Turn;

/// <summary>Requests: building them with long-term credentials, retransmitting, and handling the answers.</summary>
internal sealed partial class TurnAllocation
{
    /// <summary>How often one request is re-sent after 401/438 before it is given up.</summary>
    private const int MaxAuthRetries = 3;

    /// <summary>The longest the timer is set for (a refresh further away is reached in several steps).</summary>
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromHours(1);

    private readonly Dictionary<StunTransactionId, TurnRequest> _requests = [];
    private string? _realm;
    private string? _nonce;
    private byte[]? _key;

    /// <summary>Under the lock: builds and sends a request with the current credentials (none before the first 401).</summary>
    private void SendRequest(TurnRequestKind kind, TurnPeer? peer = null, TurnPermission? permission = null, uint? lifetime = null, int authRetries = 0)
    {
        var id = StunTransactionId.NewRandom();
        var method = kind switch
        {
            TurnRequestKind.Allocate => StunMethod.Allocate,
            TurnRequestKind.Refresh => StunMethod.Refresh,
            TurnRequestKind.CreatePermission => StunMethod.CreatePermission,
            _ => StunMethod.ChannelBind,
        };
        Span<byte> buffer = stackalloc byte[1024];
        var w = new StunMessageWriter(buffer, method, StunMessageClass.Request, id);
        var requested = lifetime ?? (uint)_timing.RequestedLifetime.TotalSeconds;
        switch (kind)
        {
            case TurnRequestKind.Allocate:
                w.AddUInt32(StunAttributeType.RequestedTransport, 17u << 24); // UDP (§18.8)
                w.AddUInt32(StunAttributeType.Lifetime, requested);
                break;
            case TurnRequestKind.Refresh:
                w.AddUInt32(StunAttributeType.Lifetime, requested);
                break;
            case TurnRequestKind.CreatePermission:
                w.AddXorAddress(new IPEndPoint(permission!.Address, 0), StunAttributeType.XorPeerAddress);
                break;
            case TurnRequestKind.ChannelBind:
                w.AddUInt32(StunAttributeType.ChannelNumber, (uint)peer!.Channel << 16);
                w.AddXorAddress(peer.EndPoint, StunAttributeType.XorPeerAddress);
                break;
        }

        if (_key is not null)
        {
            w.AddString(StunAttributeType.Username, Server.Username);
            w.AddString(StunAttributeType.Realm, _realm!);
            w.AddString(StunAttributeType.Nonce, _nonce!);
            w.AddMessageIntegrity(_key);
        }

        w.AddFingerprint();
        var request = new TurnRequest(kind, id, w.Written.ToArray())
        {
            Peer = peer,
            Permission = permission,
            Lifetime = requested,
            AuthRetries = authRetries,
            Signed = _key is not null,
            Rto = _timing.InitialRto,
            GiveUpAt = Now + _timing.RequestTimeout,
        };
        _requests[id] = request;
        Transmit(request, Now);
        Reschedule();
    }

    private void Transmit(TurnRequest request, TimeSpan now)
    {
        request.Transmissions++;
        request.NextTransmission = _link.IsReliable ? TimeSpan.MaxValue : now + request.Rto;
        request.Rto *= 2;
        _link.Send(request.Message);
    }

    private void OnTimer()
    {
        try
        {
            lock (_sync)
            {
                if (_disposed || _lost)
                {
                    return;
                }

                var now = Now;
                foreach (var request in _requests.Values.ToArray())
                {
                    if (now >= request.GiveUpAt || (!_link.IsReliable && request.Transmissions >= _timing.MaxTransmissions && now >= request.NextTransmission))
                    {
                        _requests.Remove(request.Id);
                        OnRequestFailed(request, new TurnException($"The TURN server {Server} did not answer a {request.Kind} request."));
                    }
                    else if (now >= request.NextTransmission)
                    {
                        Transmit(request, now);
                    }
                }

                if (!_lost)
                {
                    RefreshDue(now);
                    Reschedule();
                }
            }
        }
        catch (Exception e)
        {
            _logger.LogError(e, "TURN {Server}: timer failed", Server);
        }
    }

    /// <summary>Under the lock: the timer fires at the next retransmission, timeout or refresh.</summary>
    private void Reschedule()
    {
        if (_disposed || _lost)
        {
            return;
        }

        var next = TimeSpan.MaxValue;
        foreach (var r in _requests.Values)
        {
            next = Min(next, Min(r.NextTransmission, r.GiveUpAt));
        }

        next = Min(next, NextRefresh());
        if (next == TimeSpan.MaxValue)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        // A timer takes at most 2^32 - 2 ms (49.7 days), and the server grants the allocation's LIFETIME (32-bit seconds):
        // a far-off refresh wakes the timer once an hour, which finds nothing due and sets it again.
        var due = next - Now;
        _timer.Change(due < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : due > MaxTimerDue ? MaxTimerDue : due, Timeout.InfiniteTimeSpan);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>On the link's receive path: a response to one of our requests.</summary>
    private void OnResponse(StunMessage msg)
    {
        lock (_sync)
        {
            if (_disposed || !_requests.TryGetValue(msg.TransactionId, out var request))
            {
                return;
            }

            // RFC 8489 §9.2.5: an answer to a request we signed must carry our key's integrity, except the 401 and 438
            // challenges (which cannot); an answer without it, or with a wrong one, is a forgery. Over UDP it is dropped
            // as if never received (the request is re-sent); over TCP/TLS no other answer can come, so the request fails.
            // An integrity on an answer to an unsigned request is checked when we already hold a key.
            var challenge = msg.Class == StunMessageClass.ErrorResponse && msg.TryGetErrorCode(out var code, out _)
                && code is StunErrorCodes.Unauthenticated or StunErrorCodes.StaleNonce;
            var mustBeSigned = request.Signed && !challenge;
            if ((mustBeSigned || msg.HasMessageIntegrity) && _key is not null && !(msg.HasMessageIntegrity && msg.VerifyMessageIntegrity(_key)))
            {
                if (!_link.IsReliable)
                {
                    _logger.LogDebug("TURN {Server}: {Kind} answer without our integrity dropped", Server, request.Kind);
                    return;
                }

                _logger.LogWarning("TURN {Server}: {Kind} answered without our integrity over a stream; the request fails", Server, request.Kind);
                _requests.Remove(request.Id);
                OnRequestFailed(request, new TurnException($"The TURN server {Server} answered a {request.Kind} request without valid MESSAGE-INTEGRITY."));
                Reschedule();
                return;
            }

            _requests.Remove(request.Id);
            if (msg.Class == StunMessageClass.SuccessResponse)
            {
                OnSuccess(request, msg);
            }
            else
            {
                OnError(request, msg);
            }

            Reschedule();
        }
    }

    private void OnError(TurnRequest request, StunMessage msg)
    {
        msg.TryGetErrorCode(out var code, out var reasonBytes);
        var reason = Encoding.UTF8.GetString(reasonBytes);
        var realm = msg.GetString(StunAttributeType.Realm);
        var nonce = msg.GetString(StunAttributeType.Nonce);

        // RFC 8489 §9.2.5: the first 401 gives realm and nonce; a 438 a fresh nonce. Either way: retry with them.
        var firstChallenge = code == StunErrorCodes.Unauthenticated && _key is null && realm is not null && nonce is not null;
        var staleNonce = code == StunErrorCodes.StaleNonce && nonce is not null;
        if ((firstChallenge || staleNonce) && request.AuthRetries < MaxAuthRetries)
        {
            _nonce = nonce;
            if (realm is not null && realm != _realm)
            {
                _realm = realm;
                _key = StunCredentials.LongTermKey(Server.Username, realm, Server.Password);
            }

            _logger.LogDebug("TURN {Server}: {Code} for {Kind}: retrying with {What}", Server, code, request.Kind, firstChallenge ? "credentials" : "a new nonce");
            SendRequest(request.Kind, request.Peer, request.Permission, request.Lifetime, request.AuthRetries + 1);
            return;
        }

        var message = code switch
        {
            StunErrorCodes.Unauthenticated or StunErrorCodes.WrongCredentials =>
                $"The TURN server {Server} refused the credentials of user '{Server.Username}' ({code} {reason}).",
            StunErrorCodes.AllocationQuotaReached => $"The TURN server {Server} refused: allocation quota reached for user '{Server.Username}' (486).",
            StunErrorCodes.TryAlternate => $"The TURN server {Server} redirects to another server (300 Try Alternate), which P2p does not follow.",
            _ => $"The TURN server {Server} refused the {request.Kind} request: {code} {reason}.",
        };
        OnRequestFailed(request, new TurnException(message, code));
    }

    /// <summary>Under the lock: a request failed (error answer or timeout).</summary>
    private void OnRequestFailed(TurnRequest request, TurnException error)
    {
        switch (request.Kind)
        {
            case TurnRequestKind.Allocate:
                _logger.LogWarning("TURN {Server}: allocation failed: {Error}", Server, error.Message);
                Lose(error);
                break;
            case TurnRequestKind.Refresh when request.Lifetime == 0:
                break; // deleting; nobody waits
            case TurnRequestKind.Refresh:
                // 437: the server no longer knows the allocation. Anything else (a 500, a lost answer) is retried while
                // the allocation still lives (RFC 8656 §8.1: the client refreshes before expiry, not once).
                var now = Now;
                if (error.ErrorCode == StunErrorCodes.AllocationMismatch || now + _timing.RetryDelay >= _allocationExpiresAt)
                {
                    _logger.LogWarning("TURN {Server}: refresh failed, the allocation is lost: {Error}", Server, error.Message);
                    Lose(error);
                }
                else
                {
                    _logger.LogInformation("TURN {Server}: refresh failed, retrying in {Delay} s: {Error}", Server, _timing.RetryDelay.TotalSeconds, error.Message);
                    _allocationRefreshAt = now + _timing.RetryDelay;
                }

                break;
            case TurnRequestKind.CreatePermission:
                _logger.LogInformation("TURN {Server}: permission for {Peer} failed: {Error}", Server, request.Permission!.Address, error.Message);
                request.Permission.Pending = false;
                request.Permission.Installed = false;
                _permissions.Remove(request.Permission.Address);
                break;
            case TurnRequestKind.ChannelBind when error.ErrorCode == StunErrorCodes.BadRequest || !request.Peer!.ChannelBound:
                // Refused outright (a conflicting binding), or never bound: this peer's data stays on Send indications.
                _logger.LogInformation("TURN {Server}: channel for {Peer} failed: {Error}", Server, request.Peer!.EndPoint, error.Message);
                request.Peer.ChannelPending = false;
                request.Peer.ChannelBound = false;
                request.Peer.ChannelRefreshAt = TimeSpan.MaxValue;
                break;
            case TurnRequestKind.ChannelBind:
                // A refresh of a bound channel failed (a 500, a lost answer): the binding lives on at the server; retry.
                _logger.LogInformation("TURN {Server}: channel refresh for {Peer} failed, retrying: {Error}", Server, request.Peer.EndPoint, error.Message);
                request.Peer.ChannelPending = false;
                request.Peer.ChannelRefreshAt = Now + _timing.RetryDelay;
                break;
        }
    }

    private void OnSuccess(TurnRequest request, StunMessage msg)
    {
        var now = Now;
        switch (request.Kind)
        {
            case TurnRequestKind.Allocate:
                if (!msg.TryGetXorAddress(StunAttributeType.XorRelayedAddress, out var relayed) || relayed is null)
                {
                    Lose(new TurnException($"The TURN server {Server} answered Allocate without XOR-RELAYED-ADDRESS."));
                    return;
                }

                msg.TryGetXorMappedAddress(out var mapped);
                MappedAddress = mapped;
                _relayed = relayed;
                GrantLifetime(msg, request, now);
                _logger.LogInformation("TURN {Server}: allocated {Relayed} (mapped {Mapped}, lifetime {Lifetime} s)", Server, relayed, mapped, Lifetime.TotalSeconds);
                _allocated.TrySetResult();
                break;
            case TurnRequestKind.Refresh when request.Lifetime == 0:
                _logger.LogDebug("TURN {Server}: allocation deleted", Server);
                break;
            case TurnRequestKind.Refresh:
                GrantLifetime(msg, request, now);
                RefreshCount++;
                _logger.LogDebug("TURN {Server}: allocation refreshed ({Lifetime} s)", Server, Lifetime.TotalSeconds);
                break;
            case TurnRequestKind.CreatePermission:
                request.Permission!.Pending = false;
                request.Permission.Installed = true;
                request.Permission.RefreshAt = now + _timing.RefreshAfter(_timing.PermissionLifetime);
                _logger.LogDebug("TURN {Server}: permission for {Peer}", Server, request.Permission.Address);
                foreach (var peer in _peers.Values)
                {
                    if (peer.Channel == 0 && peer.EndPoint.Address.Equals(request.Permission.Address))
                    {
                        EnsurePermission(peer); // its channel now (§12.1)
                    }
                }

                break;
            case TurnRequestKind.ChannelBind:
                request.Peer!.ChannelPending = false;
                request.Peer.ChannelBound = true;
                request.Peer.ChannelRefreshAt = now + _timing.RefreshAfter(_timing.ChannelLifetime);
                _firstChannel.TrySetResult();
                _logger.LogDebug("TURN {Server}: channel 0x{Channel:X4} bound to {Peer}", Server, request.Peer.Channel, request.Peer.EndPoint);
                break;
        }
    }

    private void GrantLifetime(StunMessage msg, TurnRequest request, TimeSpan now)
    {
        Lifetime = TimeSpan.FromSeconds(msg.TryGetUInt32(StunAttributeType.Lifetime, out var seconds) ? seconds : request.Lifetime);
        _allocationRefreshAt = now + _timing.RefreshAfter(Lifetime);
        _allocationExpiresAt = now + Lifetime;
    }
}
