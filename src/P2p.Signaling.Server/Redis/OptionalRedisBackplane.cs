namespace P2p.Signaling.Server.Redis;

/// <summary>The dependency-injection holder of the Redis backplane: <see cref="Backplane"/> is null when <see cref="SignalingServerOptions.Redis"/> is not set.</summary>
internal sealed class OptionalRedisBackplane(RedisBackplane? backplane) : IAsyncDisposable
{
    public RedisBackplane? Backplane { get; } = backplane;

    public ValueTask DisposeAsync() => Backplane?.DisposeAsync() ?? default;
}
