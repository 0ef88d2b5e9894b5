using Microsoft.Extensions.Logging;
using P2p.Signaling.Abstractions;

namespace P2p.Core.Mesh;

/// <summary>
/// The STUN/TURN servers the signaling server hands out (<c>get_ice_servers</c>), kept fresh for the transport: fetched
/// once when the service joins, then again in the background when half of the credentials' lifetime has passed (read
/// from TURN REST user names, <c>EXPIRY:USERID</c>), so every new peer connection gets credentials that are valid for
/// a long while yet, without waiting for the server. Lists without an expiry are fetched again every
/// <see cref="UnknownLifetimeRefresh"/>; a failed refresh keeps the last list and is retried after <see cref="RetryDelay"/>.
/// </summary>
internal sealed class IceServerCache : IDisposable
{
    /// <summary>How often a list without a TURN REST expiry is fetched again.</summary>
    internal static readonly TimeSpan UnknownLifetimeRefresh = TimeSpan.FromHours(1);

    /// <summary>How long after a failed refresh (or expired credentials) the next try comes.</summary>
    internal static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(30);

    private readonly ISignalingChannel _signaling;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _lifetime = new();
    private volatile IReadOnlyList<IceServerPayload> _current = [];
    private int _refreshing;

    public IceServerCache(ISignalingChannel signaling, TimeProvider time, ILogger logger)
    {
        _signaling = signaling;
        _time = time;
        _logger = logger;
        _timer = time.CreateTimer(static s => _ = ((IceServerCache)s!).RefreshAsync(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The servers for a new peer connection: the latest list fetched.</summary>
    public IReadOnlyList<IceServerPayload> Current => _current;

    /// <summary>When the current list's credentials expire (the earliest TURN REST expiry), if known.</summary>
    public DateTimeOffset? Expiry { get; private set; }

    /// <summary>How many lists were fetched (for tests).</summary>
    internal int FetchCount { get; private set; }

    /// <summary>The first fetch; a server without <c>get_ice_servers</c> fails it with a clear <see cref="SignalingException"/>.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<IceServerPayload> servers;
        try
        {
            servers = await _signaling.GetIceServersAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SignalingException ex) when (ex.Code == SignalingErrorCode.MethodNotFound)
        {
            throw new SignalingException(
                SignalingErrorCode.MethodNotFound,
                $"The transport asks for ICE servers from the signaling server (IceServersFromSignaling), but the server does not offer get_ice_servers: {ex.Message}",
                null,
                ex);
        }

        Accept(servers);
    }

    public void Dispose()
    {
        _lifetime.Cancel();
        _timer.Dispose();
        _lifetime.Dispose();
    }

    private async Task RefreshAsync()
    {
        if (Interlocked.Exchange(ref _refreshing, 1) != 0)
        {
            return;
        }

        try
        {
            var servers = await _signaling.GetIceServersAsync(_lifetime.Token).ConfigureAwait(false);
            Accept(servers);
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception ex)
        {
            if (_signaling.IsClosed || _lifetime.IsCancellationRequested)
            {
                return;
            }

            _logger.LogWarning("Could not refresh the ICE servers from the signaling server ({Reason}); new connections keep the last ones; retrying in {Delay}", ex.Message, RetryDelay);
            Schedule(RetryDelay);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private void Accept(IReadOnlyList<IceServerPayload> servers)
    {
        var now = _time.GetUtcNow();
        DateTimeOffset? expiry = null;
        foreach (var server in servers)
        {
            if (server.TryGetTurnRestExpiry() is { } e && (expiry is null || e < expiry))
            {
                expiry = e;
            }
        }

        _current = servers;
        Expiry = expiry;
        FetchCount++;
        TimeSpan next;
        if (expiry is null)
        {
            next = UnknownLifetimeRefresh;
        }
        else if (expiry <= now)
        {
            _logger.LogWarning("The signaling server handed out TURN credentials that expired at {Expiry} (is a clock off?); fetching again in {Delay}", expiry, RetryDelay);
            next = RetryDelay;
        }
        else
        {
            next = TimeSpan.FromTicks(Math.Max((expiry.Value - now).Ticks / 2, TimeSpan.TicksPerSecond));
        }

        _logger.LogDebug("ICE servers from the signaling server: {Servers}; next fetch in {Delay}", string.Join("; ", servers), next);
        Schedule(next);
    }

    private void Schedule(TimeSpan delay)
    {
        if (_lifetime.IsCancellationRequested)
        {
            return;
        }

        try
        {
            _timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
