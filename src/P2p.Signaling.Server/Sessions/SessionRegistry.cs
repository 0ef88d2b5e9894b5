using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace P2p.Signaling.Server.Sessions;

/// <summary>
/// The detached sessions (<see cref="DetachedSession"/>) by user id, each with a timer that ends it when
/// the grace period passes. Whoever removes a session first (a resuming connection or the timer) owns it.
/// </summary>
internal sealed class SessionRegistry : ISessionStore
{
    private readonly ConcurrentDictionary<string, DetachedSession> _sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _gracePeriod;
    private readonly Action<DetachedSession> _expired;

    /// <param name="time">The clock of the grace period.</param>
    /// <param name="gracePeriod">How long a session stays detached.</param>
    /// <param name="expired">Called (on a timer thread) for a session whose grace period passed; it then leaves its groups.</param>
    public SessionRegistry(TimeProvider time, TimeSpan gracePeriod, Action<DetachedSession> expired)
    {
        _time = time;
        _gracePeriod = gracePeriod;
        _expired = expired;
    }

    /// <summary>How many sessions are detached.</summary>
    public int Count => _sessions.Count;

    /// <summary>Keeps a session for the grace period.</summary>
    public void Detach(DetachedSession session)
    {
        _sessions[session.UserId] = session;
        session.Expiry = _time.CreateTimer(static s => ((SessionRegistry)((object[])s!)[0]).Expire((DetachedSession)((object[])s!)[1]), new object[] { this, session }, _gracePeriod, Timeout.InfiniteTimeSpan);
    }

    /// <inheritdoc />
    public ValueTask DetachAsync(DetachedSession session)
    {
        Detach(session);
        return default;
    }

    /// <inheritdoc />
    public ValueTask<DetachedSession?> TryTakeAsync(string userId) => ValueTask.FromResult(TryTake(userId, out var session) ? session : null);

    /// <summary>Takes a detached session over (it is no longer detached and will not expire).</summary>
    public bool TryTake(string userId, [NotNullWhen(true)] out DetachedSession? session)
    {
        if (!_sessions.TryRemove(userId, out session))
        {
            return false;
        }

        session.Expiry?.Dispose();
        return true;
    }

    /// <summary>Stops every timer (the server is stopping).</summary>
    public void Dispose()
    {
        foreach (var session in _sessions.Values)
        {
            session.Expiry?.Dispose();
        }
    }

    private void Expire(DetachedSession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, DetachedSession>(session.UserId, session)))
        {
            session.Expiry?.Dispose();
            _expired(session);
        }
    }
}
