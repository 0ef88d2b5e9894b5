using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using P2p.Core.Identity;
using P2p.Core.Messaging;
using P2p.Core.Diagnostics;

namespace P2p.Core.Routing;

/// <summary>Finding a route: probes through every directly connected member, answers to them, and Unreachable reports.</summary>
internal sealed partial class RelayedPeer
{
    /// <summary>
    /// Sends a probe through every directly connected member (except suspects); the first valid answer becomes the route.
    /// Only while a route is wanted (the direct link failed), unless <paramref name="evenIfDirect"/>.
    /// </summary>
    private void ProbeRound(bool evenIfDirect = false)
    {
        var candidates = Candidates();
        List<(LinkMessenger Link, byte[] Frame)> sends;
        lock (_gate)
        {
            if (_closed is not null || _looking || (!_wanted && !evenIfDirect) || _relay is not null)
            {
                return;
            }

            sends = StartRoundLocked(candidates);
        }

        SendProbes(sends);
    }

    /// <summary>The members a probe can go through now, with their links (read outside this peer's lock).</summary>
    private List<(string Id, LinkMessenger Link)> Candidates()
    {
        var candidates = new List<(string Id, LinkMessenger Link)>();
        foreach (var member in Group.Members)
        {
            if (member is Mesh.Member candidate && !ReferenceEquals(candidate, Member) && candidate.DirectState == PeerState.Connected
                && Group.GetLink(candidate.Id)?.TryGetMessenger() is { } link)
            {
                candidates.Add((candidate.Id, link));
            }
        }

        return candidates;
    }

    /// <summary>
    /// Registers a probe per candidate (suspects excepted) and arms the round's end; with no candidate, arms the next
    /// attempt instead and wakes senders (who then fail: there is no route and none is being looked for).
    /// </summary>
    private List<(LinkMessenger Link, byte[] Frame)> StartRoundLocked(List<(string Id, LinkMessenger Link)> candidates)
    {
        var proof = OwnProof();
        var sends = new List<(LinkMessenger Link, byte[] Frame)>();
        foreach (var (candidateId, link) in candidates)
        {
            if (_suspects.Contains(candidateId))
            {
                continue;
            }

            uint id;
            do
            {
                id = (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
            }
            while (_probes.ContainsKey(id) || _unacked.ContainsKey(id));

            _probes[id] = (candidateId, Group.TimeProvider.GetTimestamp());
            sends.Add((link, RouteFrame.Create(RouteFrameType.Probe, false, Group.LocalId, Member.Id, id, proof)));
        }

        if (sends.Count == 0)
        {
            _looking = false;
            ArmTimerLocked(_router.Options.RetryInterval, () => ProbeRound());
            SignalLocked();
            return sends;
        }

        _looking = true;
        ArmTimerLocked(_router.Options.ProbeTimeout, EndProbeRound);
        return sends;
    }

    private void SendProbes(List<(LinkMessenger Link, byte[] Frame)> sends)
    {
        if (sends.Count == 0)
        {
            return;
        }

        Logger.LogDebug("Looking for a route to member {MemberId} through {Count} members", Member.Id, sends.Count);
        foreach (var (link, frame) in sends)
        {
            Group.Work.Run(() => _router.SendQuietlyAsync(link, frame));
        }
    }

    /// <summary>The probe round's time is up: when no route was found, try again later.</summary>
    private void EndProbeRound()
    {
        lock (_gate)
        {
            if (!_looking)
            {
                return;
            }

            _looking = false;
            _probes.Clear();
            SignalLocked();
            if (_relay is null && _wanted && _closed is null)
            {
                Logger.LogInformation("No member relays for member {MemberId}; looking again in {Interval}", Member.Id, _router.Options.RetryInterval);
                ArmTimerLocked(_router.Options.RetryInterval, () => ProbeRound());
            }
        }
    }

    /// <summary>
    /// A forwarded probe from this member: answer with a reply (and this member's proof), or Unreachable when its identity
    /// is not accepted. Without a route of its own, this member then looks for one (so that it can answer relayed requests),
    /// even while its direct link is still being attempted.
    /// </summary>
    private async Task OnProbeAsync(LinkMessenger link, uint probeId, byte[] proof)
    {
        var (identity, problem) = await CheckProofAsync(proof).ConfigureAwait(false);
        if (problem is not null)
        {
            Logger.LogWarning("Refused a route from member {MemberId}: its identity is not accepted ({Problem})", Member.Id, problem);
            await _router.SendQuietlyAsync(link, RouteFrame.CreateUnreachable(false, Group.LocalId, Member.Id, probeId, UnreachableReason.Refused)).ConfigureAwait(false);
            return;
        }

        if (identity is not null)
        {
            AcceptIdentity(identity);
        }

        await _router.SendQuietlyAsync(link, RouteFrame.Create(RouteFrameType.ProbeReply, false, Group.LocalId, Member.Id, probeId, OwnProof())).ConfigureAwait(false);

        // Answers to this member (replies, acks of its own messages) need a route back: look for one now if there is none.
        // Not the probe's relay as it is: this member's own proof must be accepted by the other before a route counts.
        ProbeRound(evenIfDirect: true);
    }

    /// <summary>An answer to one of this member's probes, through <paramref name="relayId"/>: the first valid one becomes the route.</summary>
    private async Task OnProbeReplyAsync(string relayId, uint probeId, byte[] proof)
    {
        long sentAt;
        lock (_gate)
        {
            if (!_probes.TryGetValue(probeId, out var probe) || !string.Equals(probe.Relay, relayId, StringComparison.Ordinal))
            {
                return; // late (another relay won), or not ours
            }

            sentAt = probe.SentAt;
        }

        var roundTrip = Group.TimeProvider.GetElapsedTime(sentAt);
        var (identity, problem) = await CheckProofAsync(proof).ConfigureAwait(false);
        if (problem is not null)
        {
            var error = new IdentityException(IdentityFailureReason.Refused, $"The identity of member {Member.Id} was not accepted through relay {relayId}: {problem}.");
            Logger.LogWarning("Not using relay {Relay} to member {MemberId}: {Reason}", relayId, Member.Id, error.Message);
            lock (_gate)
            {
                _probes.Remove(probeId);
                _refusal = error;
            }

            Member.LastError = error;
            return;
        }

        bool wanted;
        lock (_gate)
        {
            if (_closed is not null || !_probes.Remove(probeId) || _relay is not null)
            {
                return;
            }

            if (identity is not null)
            {
                AcceptIdentityLocked(identity);
            }

            _relay = relayId;
            _routeVersion++;
            CoreMetrics.RouteFound();
            _refusal = null;
            _looking = false;
            _probes.Clear();
            CancelTimerLocked();
            SignalLocked();
            wanted = _wanted;
        }

        Logger.LogInformation("Member {MemberId} is reached through member {Relay} (round trip {RoundTrip} ms)", Member.Id, relayId, Math.Round(roundTrip.TotalMilliseconds, 2));
        if (wanted)
        {
            Group.OnRelayChanged(Member, relayId);
        }
    }

    /// <summary>An Unreachable report through <paramref name="relayId"/> (from the relay itself, or from this member through it).</summary>
    private void OnUnreachable(string relayId, uint reference, UnreachableReason reason)
    {
        var failing = new List<TaskCompletionSource>();
        Exception? error = null;
        lock (_gate)
        {
            if (_probes.Remove(reference))
            {
                if (reason == UnreachableReason.Refused)
                {
                    _refusal = new IdentityException(IdentityFailureReason.Refused, $"Member {Member.Id} refused this member's identity (through relay {relayId}).");
                    Member.LastError = _refusal;
                }

                return;
            }

            switch (reason)
            {
                case UnreachableReason.Refused:
                    error = new IdentityException(IdentityFailureReason.Refused, $"Member {Member.Id} refused this member's relayed message: it does not accept this member's identity.");
                    break;
                case UnreachableReason.NotMember:
                    error = new GroupException(GroupErrorCode.NotConnected, $"Member {Member.Id} does not know this member in group {Group.Id}.");
                    break;
                case UnreachableReason.BadSignature:
                    _suspects.Add(relayId);
                    break;
            }

            if (error is IdentityException)
            {
                // The member will refuse every message from this one: all waiting ones fail, and so do later sends until a new route is accepted.
                _refusal = error;
                failing.AddRange(_unacked.Values);
                _unacked.Clear();
            }
            else if (error is not null && _unacked.Remove(reference, out var failed))
            {
                failing.Add(failed);
            }
        }

        if (error is not null)
        {
            Logger.LogWarning("A relayed message to member {MemberId} failed: {Reason}", Member.Id, error.Message);
            foreach (var waiting in failing)
            {
                waiting.TrySetException(error);
            }

            return;
        }

        OnRelayLost(relayId, reason == UnreachableReason.BadSignature
            ? $"member {Member.Id} got a message through it whose signature does not verify (altered by the relay?)"
            : "the relay cannot reach the member");
    }
}
