using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using P2p.Signaling.Server.Authorization;
using P2p.Signaling.Server.Groups;
using P2p.Signaling.Server.Redis;
using P2p.Signaling.Server.IceServers;
using P2p.Signaling.Server.Routing;
using P2p.Signaling.Server.Sessions;

namespace P2p.Signaling.Server;

/// <summary>
/// The server's shared state: options, the group store, the peer directory and the live connections.
/// Expires relays on a timer, and closes every connection (1001 "going away") when the host stops.
/// </summary>
internal sealed partial class SignalingHub : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<long, SignalingConnection> _connections = new();
    private readonly ITimer _relayTimer;
    private readonly CancellationTokenRegistration? _stopping;
    private readonly Lock _closingGate = new();
    private Task? _closing;
    private readonly long _startedAt;
    private long _nextConnectionId;

    public SignalingHub(
        IOptions<SignalingServerOptions> options,
        IGroupStore store,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IHostApplicationLifetime? lifetime = null,
        RedisBackplane? redis = null,
        ISignalingAuthorizer? authorizer = null)
    {
        Options = options.Value;
        Options.Validate();

        // The frame pool's fixed bookkeeping (its slot arrays) is set up with the server, not by its first connection.
        _ = WebSockets.Protocol.FrameBufferPool.Shared;
        Store = store;
        Time = timeProvider ?? TimeProvider.System;
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("P2p.Signaling.Server");
        IceServers = new IceServerIssuer(Options, Time);
        if (IceServers.HasServers)
        {
            Log.IceServersConfigured(Logger, Options.IceServers.Count, IceServers.IssuesTurnRestCredentials ? string.Join(", ", Options.TurnRest.Urls) : "none", Options.TurnRest.CredentialLifetime);
        }

        ResumeTokens = new ResumeTokens(Options.DecodeResumeKey() ?? System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), Time);
        Redis = redis;
        if (redis is not null && !ReferenceEquals(store, redis.Groups))
        {
            throw new InvalidOperationException(
                "SignalingServerOptions.Redis is set, but another IGroupStore is registered: with Redis the groups must live in Redis " +
                "(the instances share them and sweep failed instances' members). Remove the custom IGroupStore or the Redis setting.");
        }

        if (redis is null)
        {
            Peers = new InMemoryPeerDirectory();
            Sessions = new SessionRegistry(Time, Options.ResumeGracePeriod, s => _ = EndSessionAsync(s));
        }
        else
        {
            redis.Attach(this);
            Peers = redis.Peers;
            Sessions = redis.Sessions;
        }

        _startedAt = Time.GetTimestamp();

        RelayTimeoutTicks = (long)(Options.RelayTimeout.TotalSeconds * Time.TimestampFrequency);
        var period = TimeSpan.FromTicks(Math.Clamp(Options.RelayTimeout.Ticks / 8, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        _relayTimer = Time.CreateTimer(static s => ((SignalingHub)s!).ExpireRelays(), this, period, period);
        Authorizer = authorizer ?? AllowAllSignalingAuthorizer.Instance;
        _relayRefillTimer = StartRelayRefill();

        // ApplicationStopping fires before Kestrel stops and waits for open requests (each WebSocket is
        // one): closing the sockets here lets the host stop in CloseTimeout instead of ShutdownTimeout.
        _stopping = lifetime?.ApplicationStopping.Register(static s => _ = ((SignalingHub)s!).CloseAllAsync(CancellationToken.None), this);
    }

    public SignalingServerOptions Options { get; }

    public IGroupStore Store { get; }

    /// <summary>The server's instruments (set by <c>AddP2pSignaling</c> from the host's meter factory).</summary>
    public Diagnostics.SignalingMetrics Metrics { get; init; } = Diagnostics.SignalingMetrics.Default;

    /// <summary>Decides who may create and join groups.</summary>
    public ISignalingAuthorizer Authorizer { get; }

    /// <summary>Answers <c>get_ice_servers</c>.</summary>
    public IceServerIssuer IceServers { get; }

    /// <summary>Where users are connected: this process only, or (with Redis) any instance.</summary>
    public IPeerDirectory Peers { get; }

    /// <summary>The Redis backplane of a multi-instance deployment; null when groups live in this process.</summary>
    public RedisBackplane? Redis { get; }

    /// <summary>Issues and verifies resume tokens.</summary>
    public ResumeTokens ResumeTokens { get; }

    /// <summary>Members whose connection dropped, kept for the grace period.</summary>
    public ISessionStore Sessions { get; }

    /// <summary>Whether this server has run for less than one <see cref="SignalingServerOptions.ResumeGracePeriod"/> (it then adopts sessions it does not know).</summary>
    public bool InFirstGracePeriod => Time.GetElapsedTime(_startedAt) < Options.ResumeGracePeriod;

    /// <summary>True once the server has started closing its connections.</summary>
    public bool IsStopping => Volatile.Read(ref _closing) is not null;

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary><see cref="SignalingServerOptions.RelayTimeout"/> in <see cref="TimeProvider.GetTimestamp"/> ticks.</summary>
    public long RelayTimeoutTicks { get; }

    public int ConnectionCount => _connections.Count;

    /// <summary>Serves one HTTP request: upgrades it to a WebSocket and runs the protocol until it closes.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            context.Response.Headers.Upgrade = "websocket";
            await context.Response.WriteAsync("P2p signaling endpoint: connect with a WebSocket and speak JSON-RPC 2.0 (see docs/protocol.md).\n", context.RequestAborted);
            return;
        }

        if (_closing is not null)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = Options.KeepAliveInterval,
            KeepAliveTimeout = Options.KeepAliveTimeout,
            DangerousEnableCompression = false,
        });
        var id = Interlocked.Increment(ref _nextConnectionId);
        var remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
        using var connection = new SignalingConnection(this, socket, id, context.User, context.Connection.RemoteIpAddress, TappingUpgradeFeature.TapOf(context));
        _connections[id] = connection;
        using var counted = Metrics.TrackConnection();
        try
        {
            await connection.RunAsync(remote, context.RequestAborted);
        }
        finally
        {
            _connections.TryRemove(id, out _);
        }
    }

    /// <summary>Joins the cluster when a Redis backplane is configured.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Redis?.StartAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>Closes every connection (see <see cref="CloseAllAsync"/>), if the application's stopping signal has not already.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => CloseAllAsync(cancellationToken);

    /// <summary>Closes every connection with 1001 and waits (up to <see cref="SignalingServerOptions.CloseTimeout"/>) before aborting the rest. Runs once.</summary>
    public Task CloseAllAsync(CancellationToken cancellationToken)
    {
        lock (_closingGate)
        {
            return _closing ??= CloseAllCoreAsync(cancellationToken);
        }
    }

    private async Task CloseAllCoreAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        var connections = _connections.Values.ToArray();
        if (connections.Length == 0)
        {
            if (Redis is not null)
            {
                await Redis.StopAsync();
            }

            return;
        }

        Log.Stopping(Logger, connections.Length);
        foreach (var connection in connections)
        {
            // With a backplane this is a drain: the sessions are detached into Redis and 1012 (service restart)
            // tells the clients to reconnect (through the load balancer, to another instance) and resume.
            if (Redis is null)
            {
                connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
            }
            else
            {
                connection.RequestClose(ServiceRestart, "server instance draining: reconnect and resume");
            }
        }

        try
        {
            await Task.WhenAll(connections.Select(c => c.Completion)).WaitAsync(Options.CloseTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            foreach (var connection in connections)
            {
                connection.Abort();
            }
        }

        if (Redis is not null)
        {
            await Task.WhenAll(connections.Select(c => c.Completion)).WaitAsync(Options.CloseTimeout, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await Redis.StopAsync();
        }
    }

    /// <summary>WebSocket close status 1012 (RFC 6455 registry: "Service Restart").</summary>
    internal const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;

    /// <summary>Aborts the connection of <paramref name="userId"/> as a network failure would (no close handshake): for tests and operators.</summary>
    /// <returns><see langword="false"/> when the user has no connection here.</returns>
    public bool AbortConnection(string userId)
    {
        if (!Peers.TryGetLocal(userId, out var peer) || peer is not SignalingConnection connection)
        {
            return false;
        }

        connection.Abort();
        return true;
    }

    /// <summary>Closes the connection of <paramref name="userId"/> with 1012 (the client reconnects and tries to resume).</summary>
    public void CloseConnection(string userId, string reason)
    {
        if (Peers.TryGetLocal(userId, out var peer) && peer is SignalingConnection connection)
        {
            connection.RequestClose(ServiceRestart, reason);
        }
    }

    /// <summary>Sends a membership notification about <paramref name="userId"/> to <paramref name="members"/> (those connected).</summary>
    public void NotifyMembers(string method, string groupId, string userId, IReadOnlyList<string> members)
    {
        if (members.Count == 0)
        {
            return;
        }

        var frame = P2p.Signaling.WebSockets.Protocol.JsonRpcWriter.Notification(method, groupId, userId).ToSharedArrayAndRelease();
        foreach (var member in members)
        {
            if (Peers.TryGet(member, out var peer))
            {
                peer.Notify(frame);
            }
        }
    }

    public void Dispose()
    {
        Sessions.Dispose();
        _stopping?.Dispose();
        _relayTimer.Dispose();
        _relayRefillTimer.Dispose();
    }

    /// <summary>A detached member's grace period passed: it leaves its groups as a dropped connection did before.</summary>
    public Task EndSessionAsync(DetachedSession session)
    {
        Log.SessionExpired(Logger, session.UserId, Options.ResumeGracePeriod);
        return RemoveMemberAsync(session.UserId, session.Groups, " (grace period over)");
    }

    /// <summary>Removes a user that is gone for good from its groups and tells the other members (<c>member_left</c>).</summary>
    public async Task RemoveMemberAsync(string userId, IReadOnlyCollection<string> groups, string why)
    {
        foreach (var groupId in groups)
        {
            try
            {
                var change = await Store.LeaveAsync(groupId, userId, CancellationToken.None);
                if (change.Status == GroupOperationStatus.Done)
                {
                    Log.Left(Logger, userId, groupId, change.GroupRemoved ? why + " (group removed)" : why);
                    NotifyMembers(Abstractions.SignalingMethods.MemberLeft, groupId, userId, change.OtherMembers);
                }
            }
            catch (Exception ex)
            {
                Log.Unexpected(Logger, 0, ex);
            }
        }
    }

    private void ExpireRelays()
    {
        var now = Time.GetTimestamp();
        Redis?.ExpireRelays(now);
        foreach (var connection in _connections.Values)
        {
            connection.ExpireRelays(now);
        }
    }
}
