using System.Text.Json;

namespace P2p.Core.Identity;

/// <summary>
/// A trust-on-first-use store in a JSON file (an object name → key id), read on every call and rewritten (through a
/// temporary file and a rename) when a name is added. Safe for concurrent use within a process.
/// </summary>
/// <param name="path">The file; created on the first addition. Its directory must exist.</param>
#pragma warning disable CA1001 // The semaphore never allocates a wait handle; nothing needs disposing.
public sealed class JsonFileTrustStore(string path) : ITrustStore
#pragma warning restore CA1001
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>The file.</summary>
    public string Path { get; } = path ?? throw new ArgumentNullException(nameof(path));

    /// <inheritdoc />
    public async ValueTask<string?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var keys = await ReadAsync(cancellationToken).ConfigureAwait(false);
            return keys.TryGetValue(name, out var keyId) ? keyId : null;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<string> GetOrAddAsync(string name, string keyId, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var keys = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (keys.TryGetValue(name, out var existing))
            {
                return existing;
            }

            keys[name] = keyId;
            var temporary = Path + ".tmp";
            var stream = File.Create(temporary);
            await using (stream.ConfigureAwait(false))
            {
                await JsonSerializer.SerializeAsync(stream, keys, TrustStoreJsonContext.Default.DictionaryStringString, cancellationToken).ConfigureAwait(false);
            }

            File.Move(temporary, Path, overwrite: true);
            return keyId;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<Dictionary<string, string>> ReadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }

        var stream = File.OpenRead(Path);
        await using (stream.ConfigureAwait(false))
        {
            var keys = await JsonSerializer.DeserializeAsync(stream, TrustStoreJsonContext.Default.DictionaryStringString, cancellationToken).ConfigureAwait(false);
            return keys is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(keys, StringComparer.Ordinal);
        }
    }
}
