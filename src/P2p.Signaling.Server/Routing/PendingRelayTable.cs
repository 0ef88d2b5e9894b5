using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server.Routing;

/// <summary>
/// The relays one client is the target of, waiting for its answers: each under the id the server gave it
/// on that client's connection, with a deadline. Thread-safe: relays are added by the senders' read loops,
/// answered by the target's read loop, expired by the hub's timer and drained when the connection closes.
/// </summary>
internal sealed class PendingRelayTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, PendingRelay> _pending = [];

    // Deadlines in the order relays were added, so sorted (one relay timeout for all); answered relays
    // leave their entries behind until they reach the head.
    private readonly Queue<(long Deadline, long Id)> _deadlines = new();
    private long _nextId;
    private bool _closed;

    /// <summary>Relays waiting for an answer.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>A fresh relay id for this connection (also for relays that expect no answer).</summary>
    public long NextId() => Interlocked.Increment(ref _nextId);

    /// <summary>Tracks a relay until <paramref name="deadline"/> (a <see cref="TimeProvider.GetTimestamp"/> value). False once the table is closed.</summary>
    public bool TryAdd(long id, PendingRelay relay, long deadline)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            _pending.Add(id, relay);
            _deadlines.Enqueue((deadline, id));
            return true;
        }
    }

    /// <summary>True while the table takes new relays (the connection has not closed).</summary>
    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return !_closed;
            }
        }
    }

    /// <summary>Removes the relay answered under <paramref name="id"/>; false when none waits under it (late, unknown or not a number).</summary>
    public bool TryComplete(in RequestId id, out PendingRelay relay)
    {
        relay = default;
        lock (_gate)
        {
            var found = id.TryGetInt64(out var relayId) && _pending.Remove(relayId, out relay);
            while (_deadlines.TryPeek(out var head) && !_pending.ContainsKey(head.Id))
            {
                _deadlines.Dequeue();
            }

            return found;
        }
    }

    /// <summary>Removes and returns the relays whose deadline is at or before <paramref name="now"/>; null when none.</summary>
    public List<PendingRelay>? RemoveExpired(long now)
    {
        List<PendingRelay>? expired = null;
        lock (_gate)
        {
            while (_deadlines.TryPeek(out var head))
            {
                if (_pending.ContainsKey(head.Id))
                {
                    if (head.Deadline > now)
                    {
                        break;
                    }

                    _pending.Remove(head.Id, out var relay);
                    (expired ??= []).Add(relay);
                }

                _deadlines.Dequeue();
            }
        }

        return expired;
    }

    /// <summary>
    /// Fails the relays whose deadline is at or before <paramref name="now"/> with <c>-32005</c> and the message
    /// <paramref name="describe"/> makes of <paramref name="state"/> (only when one expired).
    /// </summary>
    public void FailExpired<TState>(long now, Func<TState, string> describe, TState state)
    {
        var expired = RemoveExpired(now);
        if (expired is null)
        {
            return;
        }

        var message = describe(state);
        foreach (var relay in expired)
        {
            relay.Caller.FailRelay(relay.CallerRequestId, P2p.Signaling.Abstractions.SignalingErrorCode.RelayTimeout, message);
        }
    }

    /// <summary>Closes the table: it takes no more relays; returns those still waiting (their senders must be told).</summary>
    public List<PendingRelay> Close()
    {
        lock (_gate)
        {
            _closed = true;
            List<PendingRelay> orphaned = [.. _pending.Values];
            _pending.Clear();
            _deadlines.Clear();
            return orphaned;
        }
    }
}
