namespace P2p.Testing;

/// <summary>Settings of a test's <see cref="RedisServer"/>.</summary>
public sealed record RedisServerOptions
{
    /// <summary>Keep data in an append-only file (fsync on every write), so it survives <see cref="RedisServer.RestartAsync"/>. Default off.</summary>
    public bool AppendOnly { get; init; }
}
