using P2p.Signaling.Server.IceServers;

namespace P2p.Signaling.Server;

/// <summary>Settings of the signaling server (bind them from configuration, e.g. the "P2pSignaling" section).</summary>
public sealed class SignalingServerOptions
{
    /// <summary>The default endpoint of the runnable host: the seed's port on loopback.</summary>
    public const string DefaultUrl = "http://127.0.0.1:3001";

    /// <summary>
    /// The largest message accepted from a client, in bytes (default 1 MiB). A larger message is read
    /// and dropped without being buffered; its sender gets <c>-32006</c> (or, for a relay's answer,
    /// the relay's sender does) and the connection stays open.
    /// </summary>
    public int MaxMessageSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long a relay waits for the target's answer before its sender gets <c>-32005</c> (default
    /// 30 s). Expiry is checked every <c>RelayTimeout / 8</c> (at least every second, at most every
    /// 10 ms), so a relay fails between 1× and 1.125× this value after it was forwarded.
    /// </summary>
    public TimeSpan RelayTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many of a connection's relays may wait for answers at once (default 4096); more get <c>-32007</c>.</summary>
    public int MaxPendingRelaysPerConnection { get; set; } = 4096;

    /// <summary>How many groups one connection may be a member of (default 1000); more get <c>-32008</c>.</summary>
    public int MaxGroupsPerConnection { get; set; } = 1000;

    /// <summary>How many members one group may have (default 256); a <c>join</c> beyond it gets <c>-32040</c>.</summary>
    public int MaxMembersPerGroup { get; set; } = 256;

    /// <summary>
    /// How many relays per second one connection may send, on average (default 1,000; a token bucket refilled
    /// every 100 ms, holding up to <see cref="RelayBurst"/>). A relay beyond it gets <c>-32041</c> and is not forwarded.
    /// </summary>
    public int MaxRelaysPerSecond { get; set; } = 1000;

    /// <summary>How many relays a connection may send at once after a quiet spell (the token bucket's size, default 2,000).</summary>
    public int RelayBurst { get; set; } = 2000;

    /// <summary>
    /// The Redis server that lets several instances of the signaling server serve the same groups (a StackExchange.Redis
    /// configuration string, e.g. <c>"redis.internal:6379"</c> or <c>"host:6379,password=..."</c>; configuration
    /// <c>P2pSignaling:Redis</c>, or <c>--redis HOST:PORT</c> on the runnable host). <see langword="null"/> (default):
    /// groups live in this process's memory. See docs/deploying.md.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>The prefix of every Redis key and channel this server uses (default <c>"p2p"</c>), so several deployments can share one Redis.</summary>
    public string RedisPrefix { get; set; } = "p2p";

    /// <summary>How often an instance refreshes its heartbeat in Redis (default 1 s).</summary>
    public TimeSpan InstanceHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long an instance's heartbeat lives in Redis (default 5 s). When an instance stops refreshing it (it crashed
    /// or lost Redis), another instance removes its members from their groups and notifies the others, at most about
    /// <c>InstanceTimeout + InstanceHeartbeatInterval</c> after the last heartbeat.
    /// </summary>
    public TimeSpan InstanceTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many bytes may wait in one connection's send queue (default 16 MiB). A client that reads
    /// so slowly that it falls further behind is disconnected, so it cannot make the server hoard memory.
    /// </summary>
    public long MaxSendQueueBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The capability recorded for <c>create []</c> (default 15: everything allowed).</summary>
    public int DefaultCapability { get; set; } = 15;

    /// <summary>
    /// WebSocket keep-alive (ping) interval (default 5 s; <see cref="TimeSpan.Zero"/> disables it). With
    /// <see cref="KeepAliveTimeout"/> it bounds how long a silently dead client goes unnoticed.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the server waits for the pong to a keep-alive ping before it drops a silent connection
    /// (default 10 s), so a peer that vanished without closing TCP is noticed: it is detached (see
    /// <see cref="ResumeGracePeriod"/>) and relays waiting for it fail with <c>-32004</c>.
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a member whose connection ended without a WebSocket close handshake (TCP reset, keep-alive
    /// timeout, send failure) stays in its groups, detached, so that a new connection can take its session over
    /// with <c>resume</c> (default 30 s). Meanwhile it is still listed by <c>get_members</c>/<c>get_group</c>
    /// and relays to it fail at once with <c>-32004</c>; when the period passes it leaves its groups
    /// (<c>member_left</c>). A server also adopts sessions it does not know (after a restart) during its first
    /// grace period. <see cref="TimeSpan.Zero"/> disables resuming: members leave as soon as their connection ends.
    /// </summary>
    public TimeSpan ResumeGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The secret (base64, at least 16 bytes once decoded; 32 recommended) that signs resume tokens
    /// (configuration <c>P2pSignaling:ResumeKey</c>). <see langword="null"/> (default): a random key per process,
    /// so tokens survive a restart only when every instance is configured with the same key. Never logged.
    /// </summary>
    public string? ResumeKey { get; set; }

    /// <summary>How long a closing connection (or server shutdown) waits for the closing handshake before aborting (default 2 s).</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Serve the browser client (the <c>p2p.js</c> module and the demo page, embedded in this assembly)
    /// from the signaling endpoint's origin: a plain GET of the endpoint's path gets the demo page instead
    /// of 426, and <c>{path}/p2p.js</c>, <c>{path}/demo.js</c>, ... the files. Default <see langword="false"/>
    /// for a library host; the runnable server turns it on (<c>--P2pSignaling:ServeBrowserClient false</c>
    /// turns it off). See docs/browser-client.md.
    /// </summary>
    public bool ServeBrowserClient { get; set; }

    /// <summary>
    /// STUN/TURN servers that <c>get_ice_servers</c> hands to every client as configured (static credentials, if any).
    /// Empty by default: no public server is ever configured for you. See docs/deploying.md.
    /// </summary>
    public List<IceServerOptions> IceServers { get; set; } = [];

    /// <summary>
    /// A TURN server whose time-limited credentials <c>get_ice_servers</c> makes for each caller (coturn's
    /// <c>use-auth-secret</c>); off until a secret is set. See docs/deploying.md.
    /// </summary>
    public TurnRestOptions TurnRest { get; set; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageSize, 1024, nameof(MaxMessageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(RelayTimeout, TimeSpan.FromMilliseconds(1), nameof(RelayTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingRelaysPerConnection, 1, nameof(MaxPendingRelaysPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxGroupsPerConnection, 1, nameof(MaxGroupsPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSendQueueBytes, MaxMessageSize, nameof(MaxSendQueueBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMembersPerGroup, 1, nameof(MaxMembersPerGroup));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRelaysPerSecond, 1, nameof(MaxRelaysPerSecond));
        ArgumentOutOfRangeException.ThrowIfLessThan(RelayBurst, 1, nameof(RelayBurst));
        ArgumentException.ThrowIfNullOrWhiteSpace(RedisPrefix, nameof(RedisPrefix));
        ArgumentOutOfRangeException.ThrowIfLessThan(InstanceHeartbeatInterval, TimeSpan.FromMilliseconds(10), nameof(InstanceHeartbeatInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InstanceTimeout, InstanceHeartbeatInterval, nameof(InstanceTimeout));
        if (Redis is not null && string.IsNullOrWhiteSpace(Redis))
        {
            throw new ArgumentException("Redis must be a StackExchange.Redis configuration string such as \"127.0.0.1:6379\", or null.", nameof(Redis));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(DefaultCapability, 0, nameof(DefaultCapability));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DefaultCapability, 15, nameof(DefaultCapability));
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepAliveInterval, TimeSpan.Zero, nameof(KeepAliveInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(CloseTimeout, TimeSpan.Zero, nameof(CloseTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(ResumeGracePeriod, TimeSpan.Zero, nameof(ResumeGracePeriod));
        if (ResumeKey is not null && DecodeResumeKey() is null)
        {
            throw new ArgumentException("ResumeKey must be base64 of at least 16 bytes.", nameof(ResumeKey));
        }

        if (KeepAliveTimeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(KeepAliveTimeout, TimeSpan.Zero, nameof(KeepAliveTimeout));
        }
    }

    /// <summary>A new random resume key (32 bytes, base64) for <see cref="ResumeKey"/>, e.g. to share between a server and its replacement.</summary>
    /// <returns>The key, base64.</returns>
    public static string NewResumeKey() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>The decoded <see cref="ResumeKey"/>; null when it is not set or not valid.</summary>
    internal byte[]? DecodeResumeKey()
    {
        if (ResumeKey is null)
        {
            return null;
        }

        try
        {
            var key = Convert.FromBase64String(ResumeKey);
            return key.Length >= 16 ? key : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
