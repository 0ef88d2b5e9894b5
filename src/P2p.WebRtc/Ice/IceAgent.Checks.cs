using System.Net;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Net;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Turn;

namespace P2p.WebRtc.Ice;

/// <summary>The check list: pairing, pacing, sending checks, their responses, nomination and selection (RFC 8445 §6–§8).</summary>
public sealed partial class IceAgent
{
    /// <summary>
    /// The most remote candidates one ICE generation takes from signalling (with the peer-reflexive ones learned so far):
    /// a browser signals a handful, and a peer that trickles without end would otherwise grow the agent without bound.
    /// Further signalled candidates are ignored, with one warning; peer-reflexive candidates learned from authenticated
    /// checks are counted apart (<see cref="MaxPeerReflexiveCandidates"/>), so a flood of signalled ones cannot push
    /// them out.
    /// </summary>
    public const int MaxRemoteCandidates = 256;

    /// <summary>
    /// The most peer-reflexive remote candidates learned per ICE generation (64): a peer behind NATs shows a few
    /// mapped addresses, while a peer holding the ICE password could send authenticated checks from any number of
    /// (spoofed) source addresses, each otherwise a new candidate, pairs, triggered checks and an accepted source. A
    /// check from a further new source is dropped unanswered, with one warning.
    /// </summary>
    internal const int MaxPeerReflexiveCandidates = 64;

    /// <param name="c">The signalled candidate.</param>
    /// <param name="resolved">The address its mDNS host name resolved to (see IceAgent.Mdns.cs).</param>
    private void AddRemoteLocked(IceCandidate c, IPAddress? resolved = null)
    {
        if (c.Component != 1)
        {
            _logger.LogDebug("ICE {Ufrag}: ignoring remote candidate of component {Component}", LocalUfrag, c.Component);
            return;
        }

        if (!c.IsUdp)
        {
            _logger.LogDebug("ICE {Ufrag}: ignoring {Transport} remote candidate {Address}", LocalUfrag, c.Transport, c.Address);
            return;
        }

        if ((resolved ?? c.IPAddress) is not { } ip)
        {
            ResolveHostNameLocked(c);
            return;
        }

        if ((_remoteUfrag is not null && c.Ufrag is { } u && u != _remoteUfrag) || IsStaleRemote(c))
        {
            _logger.LogDebug("ICE {Ufrag}: ignoring remote candidate of ufrag {Other} (another ICE generation)", LocalUfrag, c.Ufrag);
            return;
        }

        var endPoint = new IPEndPoint(ip, c.Port);
        var key = EndpointKey.From(endPoint);
        if (_remoteByKey.TryGetValue(key, out var existing))
        {
            if (existing.Candidate.Type == IceCandidateType.PeerReflexive && c.Type != IceCandidateType.PeerReflexive)
            {
                // The signalled candidate replaces the one learned from a check (RFC 8445 §7.3.1.3).
                existing.Candidate = c;
                RecomputePriorities();
                _logger.LogDebug("ICE {Ufrag}: peer-reflexive remote candidate {EndPoint} is the signalled {Type} {Address}", LocalUfrag, endPoint, c.Type, c.Address);
                if (_selected is { } selected && selected.Remote == existing)
                {
                    var info = selected.ToInfo(); // the same path, now described by the signalled candidate
                    _events.Post(() => SelectedPairChanged?.Invoke(this, info));
                }
            }

            return;
        }

        if (_remoteCandidates.Count >= MaxRemoteCandidates)
        {
            if (!_remoteCandidatesCapped)
            {
                _remoteCandidatesCapped = true;
                _logger.LogWarning("ICE {Ufrag}: the peer signalled more than {Max} candidates; the rest are ignored", LocalUfrag, MaxRemoteCandidates);
            }

            return;
        }

        var remote = new RemoteCandidate(c, endPoint);
        _remoteCandidates.Add(remote);
        _remoteByKey[key] = remote;
        _logger.LogDebug("ICE {Ufrag}: remote candidate {EndPoint} {Type}", LocalUfrag, endPoint, c.Type);
        if (!_checksStopped)
        {
            foreach (var host in _sockets)
            {
                FormPair(host.Host, remote);
            }
        }

        PaceChecks(Now);
        UpdateConnectionState();
    }

    private void RemoveRemote(RemoteCandidate remote)
    {
        _remoteCandidates.Remove(remote);
        _remoteByKey.Remove(remote.Key);
        _checkList.RemoveAll(p => p.Remote == remote && p.State != IceCandidatePairState.Succeeded);
    }

    private RemoteCandidate LearnPeerReflexive(IPEndPoint endPoint, uint priority)
    {
        // RFC 8445 §7.3.1.3: priority from the PRIORITY attribute, an arbitrary unique foundation.
        var candidate = new IceCandidate($"prflx{++_prflxCounter}", 1, "udp", priority, endPoint.Address.ToString(), endPoint.Port, IceCandidateType.PeerReflexive);
        var remote = new RemoteCandidate(candidate, endPoint);
        _remoteCandidates.Add(remote);
        _remoteByKey[remote.Key] = remote;
        _peerReflexiveLearned++;
        _logger.LogDebug("ICE {Ufrag}: peer-reflexive remote candidate {EndPoint}", LocalUfrag, endPoint);
        return remote;
    }

    /// <summary>Forms (or finds) the pair of a local base and a remote candidate (RFC 8445 §6.1.2.2, pruned per §6.1.2.4).</summary>
    private CandidatePair? FormPair(LocalCandidate local, RemoteCandidate remote)
    {
        if (local.Base.Family != remote.EndPoint.AddressFamily)
        {
            return null;
        }

        var existing = _checkList.Find(p => p.Local.Base == local.Base && p.Remote == remote);
        if (existing is not null)
        {
            return existing;
        }

        var pair = new CandidatePair(local, remote);
        pair.Priority = PairPriority(pair);
        if (_checkList.Count >= _options.MaxCandidatePairs)
        {
            // RFC 8445 §6.1.2.5: keep the highest-priority pairs.
            var lowest = _checkList.Where(p => p.State == IceCandidatePairState.Frozen).MinBy(p => p.Priority);
            if (lowest is null || lowest.Priority >= pair.Priority)
            {
                _logger.LogDebug("ICE {Ufrag}: check list full; pair {Pair} dropped", LocalUfrag, pair);
                return null;
            }

            _checkList.Remove(lowest);
        }

        // RFC 8445 §6.1.2.6 with trickle (RFC 8838 §10): Waiting unless a pair of the same foundation is already being checked.
        var foundation = pair.Foundation;
        pair.State = _checkList.Exists(p => p.Foundation == foundation && p.State is IceCandidatePairState.Waiting or IceCandidatePairState.InProgress)
            ? IceCandidatePairState.Frozen
            : IceCandidatePairState.Waiting;
        _checkList.Add(pair);

        // A relayed base asks its TURN server for the peer's permission now: the peer's checks may arrive first.
        (local.Base.Socket as TurnAllocation)?.PreparePeer(remote.EndPoint);
        return pair;
    }

    private ulong PairPriority(CandidatePair p) => _role == IceRole.Controlling
        ? IcePriority.Pair(p.Local.Priority, p.Remote.Priority)
        : IcePriority.Pair(p.Remote.Priority, p.Local.Priority);

    private void RecomputePriorities()
    {
        foreach (var p in _checkList)
        {
            p.Priority = PairPriority(p);
        }
    }

    private void SwitchRole(IceRole role)
    {
        if (_role == role)
        {
            return;
        }

        _logger.LogInformation("ICE {Ufrag}: role conflict resolved, now {Role}", LocalUfrag, role);
        _role = role;
        _nominating = null;
        RecomputePriorities();
        _events.Post(() => RoleChanged?.Invoke(this, role));
    }

    private void EnqueueTriggered(CandidatePair pair)
    {
        if (pair.Current is { } current)
        {
            current.Cancelled = true; // RFC 8445 §7.3.1.4: stop retransmitting, still accept its response
        }

        pair.State = IceCandidatePairState.Waiting;
        if (!pair.InTriggeredQueue)
        {
            pair.InTriggeredQueue = true;
            _triggered.Enqueue(pair);
        }
    }

    /// <summary>Sends the next check if Ta has passed since the last one (RFC 8445 §6.1.4.2).</summary>
    /// <remarks>After selection (§8.1.2) only triggered checks go out: those of a pair the controlling peer re-nominates.</remarks>
    private void PaceChecks(TimeSpan now)
    {
        if (_remoteKey is null || _disposed || _state is IceConnectionState.Failed or IceConnectionState.Closed
            || (_checksStopped && _triggered.Count == 0))
        {
            return;
        }

        if (_lastCheckSent != TimeSpan.MinValue && now - _lastCheckSent < _options.CheckInterval)
        {
            return;
        }

        var pair = _checksStopped ? NextTriggered() : NextPairToCheck();
        if (pair is not null)
        {
            SendCheck(pair, now, useCandidate: false);
        }
    }

    private CandidatePair? NextTriggered()
    {
        while (_triggered.Count > 0)
        {
            var p = _triggered.Dequeue();
            p.InTriggeredQueue = false;
            if (p.State == IceCandidatePairState.Waiting && _checkList.Contains(p))
            {
                return p;
            }
        }

        return null;
    }

    private CandidatePair? NextPairToCheck()
    {
        if (NextTriggered() is { } triggered)
        {
            return triggered;
        }

        CandidatePair? best = null;
        foreach (var p in _checkList)
        {
            if (p.State == IceCandidatePairState.Waiting && (best is null || p.Priority > best.Priority))
            {
                best = p;
            }
        }

        if (best is not null)
        {
            return best;
        }

        // Nothing waiting: unfreeze the highest-priority frozen pair.
        foreach (var p in _checkList)
        {
            if (p.State == IceCandidatePairState.Frozen && (best is null || p.Priority > best.Priority))
            {
                best = p;
            }
        }

        return best;
    }

    /// <summary>Builds and sends a connectivity check (RFC 8445 §7.2.2) or consent check (RFC 7675 §5.1).</summary>
    private StunTransaction SendCheck(CandidatePair pair, TimeSpan now, bool useCandidate, StunTransactionKind kind = StunTransactionKind.Check)
    {
        var id = StunTransactionId.NewRandom();
        var username = _remoteUfrag + ":" + LocalUfrag;
        var buffer = new byte[20 + 4 + ((System.Text.Encoding.UTF8.GetByteCount(username) + 3) & ~3) + 8 + 12 + 4 + 24 + 8];
        var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.Request, id);
        w.AddString(StunAttributeType.Username, username);

        // PRIORITY: the priority the local candidate would have as peer-reflexive (RFC 8445 §7.1.1).
        var priority = IcePriority.Candidate(IceCandidateType.PeerReflexive, pair.Local.Base.LocalPreference);
        w.AddUInt32(StunAttributeType.Priority, priority);
        var controlling = _role == IceRole.Controlling;
        w.AddUInt64(controlling ? StunAttributeType.IceControlling : StunAttributeType.IceControlled, TieBreaker);
        if (useCandidate)
        {
            w.AddEmpty(StunAttributeType.UseCandidate);
        }

        w.AddMessageIntegrity(_remoteKey);
        w.AddFingerprint();
        var tx = new StunTransaction(id, kind, pair.Local.Base, pair.Remote.EndPoint, buffer[..w.Length])
        {
            Pair = pair,
            UseCandidate = useCandidate,
            SentControlling = controlling,
            Priority = priority,
            Rto = kind == StunTransactionKind.Consent ? Min(_options.InitialRto, _options.ConsentInterval / 4) : _options.InitialRto,
        };
        _transactions[id] = tx;
        if (kind == StunTransactionKind.Check)
        {
            if (pair.Current is { } old)
            {
                old.Cancelled = true;
            }

            pair.Current = tx;
            if (pair.State != IceCandidatePairState.Succeeded)
            {
                pair.State = IceCandidatePairState.InProgress;
            }

            _lastCheckSent = now;
            _firstCheckSent ??= now;
            if (_state == IceConnectionState.New)
            {
                SetState(IceConnectionState.Checking);
            }
        }

        Transmit(tx, now);
        return tx;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private void Transmit(StunTransaction tx, TimeSpan now)
    {
        tx.Transmissions++;
        tx.NextTransmission = now + tx.Rto;
        tx.Rto = Min(tx.Rto * 2, _options.MaxRto);
        if (tx.Kind != StunTransactionKind.ServerBinding)
        {
            Interlocked.Increment(ref _checksSent);
        }

        try
        {
            tx.Socket.Socket.Send(tx.Request, tx.DestinationAddress);
        }
        catch (ObjectDisposedException)
        {
            // disposal in progress
        }
    }

    private int MaxTransmissions(StunTransaction tx) => tx.Kind switch
    {
        StunTransactionKind.Check => _options.MaxCheckTransmissions,
        StunTransactionKind.Consent => 4,
        _ => int.MaxValue, // server bindings end at their deadline
    };

    /// <summary>Retransmissions and timeouts of outstanding requests (RFC 8489 §6.2.1).</summary>
    private void ProcessTransactions(TimeSpan now)
    {
        if (_transactions.Count == 0)
        {
            return;
        }

        foreach (var tx in _transactions.Values.ToArray())
        {
            if (tx.Kind == StunTransactionKind.ServerBinding && now >= tx.Deadline)
            {
                OnServerReflexive(tx, null, "timed out");
                continue;
            }

            if (now < tx.NextTransmission)
            {
                continue;
            }

            if (tx.Cancelled || tx.Transmissions >= MaxTransmissions(tx))
            {
                _transactions.Remove(tx.Id);
                if (tx.Kind == StunTransactionKind.Check && !tx.Cancelled && tx.Pair is { } pair && pair.Current == tx)
                {
                    pair.Current = null;
                    if (pair.State != IceCandidatePairState.Succeeded)
                    {
                        _logger.LogDebug("ICE {Ufrag}: pair {Pair} failed (no response)", LocalUfrag, pair);
                        pair.State = IceCandidatePairState.Failed;
                    }

                    if (_nominating == pair)
                    {
                        _nominating = null;
                        pair.State = IceCandidatePairState.Failed;
                    }
                }

                continue;
            }

            Transmit(tx, now);
        }
    }

    /// <summary>A response to one of our requests (RFC 8445 §7.2.5).</summary>
    private void HandleResponse(HostSocket socket, StunMessage msg, EndpointKey source, TimeSpan now)
    {
        if (!_transactions.TryGetValue(msg.TransactionId, out var tx))
        {
            Interlocked.Increment(ref _stunDropped);
            return;
        }

        if (tx.Kind == StunTransactionKind.ServerBinding)
        {
            if (socket != tx.Socket || source != EndpointKey.From(tx.Destination))
            {
                Interlocked.Increment(ref _stunDropped);
                return;
            }

            if (msg.Class == StunMessageClass.SuccessResponse)
            {
                IPEndPoint? mapped = null;
                if (!msg.TryGetXorMappedAddress(out mapped))
                {
                    msg.TryGetMappedAddress(out mapped);
                }

                OnServerReflexive(tx, mapped, mapped is null ? "no mapped address in the response" : null);
            }
            else
            {
                msg.TryGetErrorCode(out var code, out _);
                OnServerReflexive(tx, null, $"error {code}");
            }

            return;
        }

        // Responses to checks must be signed with the peer's password (RFC 8445 §7.2.5.2.2); anything else is ignored.
        if (_remoteKey is null || !msg.VerifyMessageIntegrity(_remoteKey))
        {
            _logger.LogDebug("ICE {Ufrag}: response with bad integrity from {Source} dropped", LocalUfrag, source);
            Interlocked.Increment(ref _stunDropped);
            return;
        }

        _transactions.Remove(tx.Id);
        var pair = tx.Pair!;
        if (pair.Current == tx)
        {
            pair.Current = null;
        }

        // RFC 8445 §7.2.5.2.1: the response must come from where the request went, on the same socket.
        if (socket != tx.Socket || source != pair.Remote.Key)
        {
            _logger.LogDebug("ICE {Ufrag}: non-symmetric response for {Pair}", LocalUfrag, pair);
            if (tx.Kind == StunTransactionKind.Check && pair.State != IceCandidatePairState.Succeeded)
            {
                pair.State = IceCandidatePairState.Failed;
            }

            return;
        }

        if (msg.Class == StunMessageClass.ErrorResponse)
        {
            msg.TryGetErrorCode(out var code, out _);
            if (code == StunErrorCodes.RoleConflict && tx.Kind == StunTransactionKind.Check)
            {
                // RFC 8445 §7.2.5.1: switch to the role opposite of the one the request claimed, and retry.
                SwitchRole(tx.SentControlling ? IceRole.Controlled : IceRole.Controlling);
                if (_nominating == pair)
                {
                    _nominating = null;
                }

                if (pair.State != IceCandidatePairState.Succeeded)
                {
                    EnqueueTriggered(pair);
                }

                PaceChecks(now);
                return;
            }

            _logger.LogDebug("ICE {Ufrag}: error {Code} for {Pair}", LocalUfrag, code, pair);
            if (tx.Kind == StunTransactionKind.Check)
            {
                if (pair.State != IceCandidatePairState.Succeeded)
                {
                    pair.State = IceCandidatePairState.Failed;
                }

                if (_nominating == pair)
                {
                    _nominating = null;
                    pair.State = IceCandidatePairState.Failed;
                }
            }

            UpdateConnectionState();
            return;
        }

        msg.TryGetXorMappedAddress(out var mappedAddress);
        if (tx.Kind == StunTransactionKind.Consent || pair == _selected)
        {
            OnConsentResponse(now);
        }

        if (tx.Kind == StunTransactionKind.Check)
        {
            OnCheckSuccess(pair, tx, mappedAddress, now);
        }
    }

    /// <summary>RFC 8445 §7.2.5.3: a successful check makes the pair valid.</summary>
    private void OnCheckSuccess(CandidatePair pair, StunTransaction tx, IPEndPoint? mapped, TimeSpan now)
    {
        OnRestartSignOfLife(now);
        if (mapped is not null && !mapped.Equals(pair.Local.EndPoint))
        {
            // §7.2.5.3.1: the mapped address is a new peer-reflexive local candidate (not signalled).
            var local = _localCandidates.Find(c => c.Base == pair.Local.Base && c.EndPoint.Equals(mapped));
            if (local is null)
            {
                var baseEndPoint = pair.Local.Base.EndPoint;
                var candidate = new IceCandidate(
                    Foundation("prflx", baseEndPoint.Address, null), 1, "udp", tx.Priority, mapped.Address.ToString(), mapped.Port, IceCandidateType.PeerReflexive)
                {
                    RelatedAddress = baseEndPoint.Address.ToString(),
                    RelatedPort = baseEndPoint.Port,
                };
                local = new LocalCandidate(candidate, pair.Local.Base, mapped);
                _localCandidates.Add(local);
                _logger.LogDebug("ICE {Ufrag}: peer-reflexive local candidate {Mapped} (base {Base})", LocalUfrag, mapped, baseEndPoint);
            }

            pair.MappedLocal = local;
        }

        pair.State = IceCandidatePairState.Succeeded;
        if (!pair.Valid)
        {
            pair.Valid = true;
            _firstValidAt ??= now;
            pair.Local.Base.Accept(pair.Remote.Key);

            _logger.LogDebug("ICE {Ufrag}: pair {Pair} valid", LocalUfrag, pair);
        }

        // §7.2.5.3.3: unfreeze the pairs of the same foundation.
        var foundation = pair.Foundation;
        foreach (var p in _checkList)
        {
            if (p.State == IceCandidatePairState.Frozen && p.Foundation == foundation)
            {
                p.State = IceCandidatePairState.Waiting;
            }
        }

        var nominatedNow = false;
        if ((tx.UseCandidate && _role == IceRole.Controlling) || (pair.NominateOnSuccess && _role == IceRole.Controlled))
        {
            nominatedNow = !pair.Nominated;
            pair.Nominated = true;
            if (_nominating == pair)
            {
                _nominating = null;
            }
        }

        SelectNominated(now, nominatedNow && _role == IceRole.Controlled ? pair : null);
        EvaluateNomination(now);
        PaceChecks(now);
        UpdateConnectionState();
    }

    /// <summary>
    /// Regular nomination by the controlling agent (RFC 8445 §8.1.1): once the best valid pair cannot
    /// be beaten by a pair still being checked (or <see cref="IceAgentOptions.NominationTimeout"/> has
    /// passed), it is checked again with USE-CANDIDATE.
    /// </summary>
    private void EvaluateNomination(TimeSpan now)
    {
        if (_role != IceRole.Controlling || _selected is not null || _nominating is not null || _remoteKey is null
            || _state is IceConnectionState.Failed or IceConnectionState.Closed)
        {
            return;
        }

        CandidatePair? best = null;
        foreach (var p in _checkList)
        {
            if (p.Valid && p.State == IceCandidatePairState.Succeeded && (best is null || p.Priority > best.Priority))
            {
                best = p;
            }
        }

        if (best is null)
        {
            return;
        }

        var better = _checkList.Exists(p => p.Priority > best.Priority && p.State is IceCandidatePairState.Frozen or IceCandidatePairState.Waiting or IceCandidatePairState.InProgress);
        if (better && now - _firstValidAt < _options.NominationTimeout)
        {
            return;
        }

        _logger.LogDebug("ICE {Ufrag}: nominating {Pair}", LocalUfrag, best);
        _nominating = best;
        SendCheck(best, now, useCandidate: true);
    }

    /// <summary>
    /// Selects the highest-priority nominated valid pair (RFC 8445 §8.1.1, §8.2) and stops further checks
    /// (§8.1.2) — or <paramref name="renominated"/>, a pair the controlling peer nominated after a pair was
    /// selected: the controlled side follows the controlling side's latest choice.
    /// </summary>
    private void SelectNominated(TimeSpan now, CandidatePair? renominated = null)
    {
        CandidatePair? best = null;
        if (renominated is { Nominated: true, Valid: true } && _selected is not null)
        {
            best = renominated;
        }
        else
        {
            foreach (var p in _checkList)
            {
                if (p.Nominated && p.Valid && (best is null || p.Priority > best.Priority))
                {
                    best = p;
                }
            }
        }

        if (best is null || best == _selected || _state is IceConnectionState.Failed or IceConnectionState.Closed)
        {
            return;
        }

        var first = _selected is null; // the first selection, or the first of a new generation (RFC 8445 §9)
        _selected = best;
        _selectedAt ??= now;
        _path = new SelectedPath(best.Local.Base, best.Remote);
        _checksStopped = true;
        _triggered.Clear();
        var info = best.ToInfo();
        _logger.LogInformation("ICE {Ufrag}: selected {Pair} as {Role}", LocalUfrag, info, _role);
        _events.Post(() => SelectedPairChanged?.Invoke(this, info));
        if (first)
        {
            _lastConsentResponse = now;
            _nextConsentCheck = now + RandomizedConsentInterval();
            CompleteRestart();
        }

        UpdateConnectionState();
    }
}
