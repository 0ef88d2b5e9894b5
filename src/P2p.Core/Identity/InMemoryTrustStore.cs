using System.Collections.Concurrent;

namespace P2p.Core.Identity;

/// <summary>A trust-on-first-use store in memory: forgotten when the process ends.</summary>
public sealed class InMemoryTrustStore : ITrustStore
{
    private readonly ConcurrentDictionary<string, string> _keys = new(StringComparer.Ordinal);

    /// <summary>The remembered name → key id pairs.</summary>
    public IReadOnlyDictionary<string, string> Entries => _keys;

    /// <inheritdoc />
    public ValueTask<string?> GetAsync(string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_keys.TryGetValue(name, out var keyId) ? keyId : null);

    /// <inheritdoc />
    public ValueTask<string> GetOrAddAsync(string name, string keyId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_keys.GetOrAdd(name, keyId));
}
