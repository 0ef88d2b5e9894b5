using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.Signaling.Server.Routing;
using P2p.Signaling.Server.Sessions;
using StackExchange.Redis;

namespace P2p.Signaling.Server.Redis;

/// <summary>
/// What lets several instances of the signaling server serve the same groups: groups and detached sessions in Redis,
/// a channel per connected user for relays and notifications, a channel per instance for relay answers, and a
/// heartbeat per instance. Every instance runs the housekeeping: it removes the members of an instance whose
/// heartbeat expired (notifying the others) and ends detached sessions whose grace period passed.
/// </summary>
/// <remarks>
/// The connection to Redis is made with <c>abortConnect=false</c> and a fail-fast backlog: while Redis is unreachable,
/// calls that need it fail at once with <c>-32043</c>, and the multiplexer reconnects (and re-subscribes) by itself.
/// </remarks>
internal sealed partial class RedisBackplane : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly ISubscriber _subscriber;
    private readonly SignalingServerOptions _options;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly PendingRelayTable _relays = new();
    private readonly long _relayDeadlineTicks;
    private SignalingHub? _hub;
    private ChannelMessageQueue? _instanceQueue;
    private Task? _housekeeping;
    private long _connectedSince;
    private int _unreachable;

    public RedisBackplane(SignalingServerOptions options, ILoggerFactory? loggerFactory, TimeProvider time)
    {
        _options = options;
        _time = time;
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("P2p.Signaling.Server.Redis");
        InstanceId = global::P2p.Signaling.Server.Groups.InMemoryGroupStore.NewId();
        Keys = new RedisKeys(options.RedisPrefix);

        var configuration = ConfigurationOptions.Parse(options.Redis!);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "p2p-signaling-" + InstanceId[..8];
        configuration.ReconnectRetryPolicy ??= new LinearRetry(500);
        if (loggerFactory is not null)
        {
            configuration.LoggerFactory = loggerFactory;
        }

        _redis = ConnectionMultiplexer.Connect(configuration);
        _db = _redis.GetDatabase();
        _subscriber = _redis.GetSubscriber();
        _connectedSince = _redis.IsConnected ? time.GetTimestamp() : 0;
        _redis.ConnectionFailed += OnConnectionFailed;
        _redis.ConnectionRestored += OnConnectionRestored;

        Groups = new RedisGroupStore(_db, Keys, options.MaxMembersPerGroup);
        Sessions = new RedisSessionStore(_db, Keys, Groups, time, options.ResumeGracePeriod);
        Peers = new RedisPeerDirectory(this);
        _relayDeadlineTicks = (long)((options.RelayTimeout + TimeSpan.FromSeconds(1)).TotalSeconds * time.TimestampFrequency);
        RedisLog.Started(Logger, InstanceId, string.Join(", ", configuration.EndPoints), options.RedisPrefix);
    }

    /// <summary>This instance's id (random, 32 hex characters).</summary>
    public string InstanceId { get; }

    public RedisKeys Keys { get; }

    /// <summary>The shared group store.</summary>
    public RedisGroupStore Groups { get; }

    /// <summary>The shared detached sessions.</summary>
    public RedisSessionStore Sessions { get; }

    /// <summary>This instance's connections and the way to everyone else's.</summary>
    public RedisPeerDirectory Peers { get; }

    /// <summary>Whether Redis is reachable now.</summary>
    public bool IsConnected => _redis.IsConnected;

    public ILogger Logger { get; }

    private SignalingHub Hub => _hub ?? throw new InvalidOperationException("The backplane is not attached to a hub.");

    /// <summary>Connects the backplane to the hub whose connections it serves (once, before <see cref="StartAsync"/>).</summary>
    public void Attach(SignalingHub hub) => _hub = hub;

    /// <summary>Subscribes this instance's channel, writes its first heartbeat and starts the housekeeping.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _instanceQueue = await _subscriber.SubscribeAsync(Keys.InstanceChannel(InstanceId)).WaitAsync(cancellationToken).ConfigureAwait(false);
        _instanceQueue.OnMessage(OnInstanceMessage);
        try
        {
            await BeatAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Not reachable yet: the housekeeping keeps trying.
            ReportUnreachable(ex);
        }

        _housekeeping = HousekeepAsync(_stop.Token);
    }

    /// <summary>Leaves the cluster after a drain: stops the housekeeping and removes the heartbeat (the members were detached already).</summary>
    public async Task StopAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_housekeeping is not null)
        {
            await _housekeeping.ConfigureAwait(false);
        }

        RedisLog.Leaving(Logger, InstanceId);
        try
        {
            var batch = _db.CreateBatch();
            var removed = batch.SetRemoveAsync(Keys.Instances, InstanceId);
            var deleted = batch.KeyDeleteAsync([Keys.Heartbeat(InstanceId), Keys.InstanceUsers(InstanceId)]);
            batch.Execute();
            await Task.WhenAll(removed, deleted).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Its heartbeat expires by itself; the others sweep an (empty) instance.
        }
    }

    /// <summary>Round trip to Redis (for health checks).</summary>
    public Task<TimeSpan> PingAsync() => _db.PingAsync();

    /// <summary>Fails remote relays whose answer did not come back in time (called by the hub's relay timer).</summary>
    public void ExpireRelays(long now) =>
        _relays.FailExpired(now, static timeout => $"No answer from the target's server instance within {timeout.TotalSeconds:0.###} s.", _options.RelayTimeout);

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _redis.ConnectionFailed -= OnConnectionFailed;
        _redis.ConnectionRestored -= OnConnectionRestored;
        await _redis.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            Volatile.Write(ref _connectedSince, 0);
            ReportUnreachable(e.Exception);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Interactive)
        {
            return;
        }

        Volatile.Write(ref _connectedSince, _time.GetTimestamp());
        if (Interlocked.Exchange(ref _unreachable, 0) == 1)
        {
            RedisLog.Reachable(Logger);
        }

        _ = ReassertAsync();
    }

    private void ReportUnreachable(Exception? exception)
    {
        if (Interlocked.Exchange(ref _unreachable, 1) == 0)
        {
            RedisLog.Unreachable(Logger, exception?.Message ?? "connection failed");
        }
    }

    /// <summary>The heartbeat: this instance is alive for another <see cref="SignalingServerOptions.InstanceTimeout"/>.</summary>
    private async Task BeatAsync()
    {
        var batch = _db.CreateBatch();
        var beat = batch.StringSetAsync(Keys.Heartbeat(InstanceId), 1, _options.InstanceTimeout);
        var member = batch.SetAddAsync(Keys.Instances, InstanceId);
        batch.Execute();
        await Task.WhenAll(beat, member).ConfigureAwait(false);
    }

    /// <summary>Every heartbeat interval: beat, sweep failed instances, end expired sessions.</summary>
    private async Task HousekeepAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.InstanceHeartbeatInterval, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await BeatAsync().ConfigureAwait(false);

                // Only judge others after being connected for a whole timeout: after an outage of Redis every
                // heartbeat may have expired, and the others need that long to write theirs again.
                var since = Volatile.Read(ref _connectedSince);
                if (since != 0 && _time.GetElapsedTime(since) >= _options.InstanceTimeout)
                {
                    await SweepFailedInstancesAsync().ConfigureAwait(false);
                }

                foreach (var userId in await Sessions.PopExpiredAsync().ConfigureAwait(false))
                {
                    var groups = await Groups.GroupsOfAsync(userId).ConfigureAwait(false);
                    await Hub.EndSessionAsync(new DetachedSession(userId, groups)).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                ReportUnreachable(ex);
            }
            catch (Exception ex)
            {
                RedisLog.HousekeepingFailed(Logger, ex);
            }
        }
    }

    private async Task SweepFailedInstancesAsync()
    {
        foreach (var id in await _db.SetMembersAsync(Keys.Instances).ConfigureAwait(false))
        {
            var instanceId = (string)id!;
            if (instanceId == InstanceId || await _db.KeyExistsAsync(Keys.Heartbeat(instanceId)).ConfigureAwait(false))
            {
                continue;
            }

            // Whoever removes it from the set sweeps it.
            if (await _db.SetRemoveAsync(Keys.Instances, instanceId).ConfigureAwait(false))
            {
                await SweepInstanceAsync(instanceId).ConfigureAwait(false);
            }
        }
    }

    private async Task SweepInstanceAsync(string instanceId)
    {
        var users = await _db.SetMembersAsync(Keys.InstanceUsers(instanceId)).ConfigureAwait(false);
        RedisLog.InstanceFailed(Logger, instanceId, users.Length);
        foreach (var user in users)
        {
            await SweepUserAsync(instanceId, (string)user!, " (its server instance failed)").ConfigureAwait(false);
        }

        await _db.KeyDeleteAsync(Keys.InstanceUsers(instanceId)).ConfigureAwait(false);
    }

    /// <summary>Removes a user of <paramref name="instanceId"/> from its groups, unless it has moved on (resumed elsewhere).</summary>
    private async Task SweepUserAsync(string instanceId, string userId, string why)
    {
        var swept = (long)await _db.ScriptEvaluateAsync(RedisLocationScripts.Sweep, new
        {
            at = Keys.UserLocation(userId),
            dead = (RedisValue)instanceId,
            grace = (RedisValue)(long)Math.Max(1, _options.ResumeGracePeriod.TotalMilliseconds),
        }).ConfigureAwait(false);
        if (swept == 1)
        {
            var groups = await Groups.GroupsOfAsync(userId).ConfigureAwait(false);
            await Hub.RemoveMemberAsync(userId, groups, why).ConfigureAwait(false);
        }
    }

    /// <summary>After Redis came back: claim this instance's users again; close the connections of those swept or taken meanwhile.</summary>
    private async Task ReassertAsync()
    {
        try
        {
            await BeatAsync().ConfigureAwait(false);
            foreach (var userId in Peers.LocalUsers.ToArray())
            {
                var ours = (long)await _db.ScriptEvaluateAsync(RedisLocationScripts.Reassert, new
                {
                    at = Keys.UserLocation(userId),
                    users = Keys.InstanceUsers(InstanceId),
                    me = (RedisValue)InstanceId,
                    user = (RedisValue)userId,
                }).ConfigureAwait(false);
                if (ours == 0)
                {
                    RedisLog.LostWhileCutOff(Logger, userId);
                    Hub.CloseConnection(userId, "your session ended while this server instance was cut off from Redis");
                }
            }

            // Users whose connection ended while Redis was unreachable could neither be parked nor leave: they leave now.
            var local = Peers.LocalUsers.ToHashSet(StringComparer.Ordinal);
            var gone = (await _db.SetMembersAsync(Keys.InstanceUsers(InstanceId)).ConfigureAwait(false))
                .Select(u => (string)u!).Where(u => !local.Contains(u)).ToArray();
            foreach (var userId in gone)
            {
                await SweepUserAsync(InstanceId, userId, " (disconnected while Redis was unreachable)").ConfigureAwait(false);
                await _db.SetRemoveAsync(Keys.InstanceUsers(InstanceId), userId).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            ReportUnreachable(ex);
        }
    }
}
