namespace P2p.Core.Identity;

/// <summary>Where trust on first use keeps the key id it first saw for each name.</summary>
public interface ITrustStore
{
    /// <summary>The remembered key id for <paramref name="name"/>, or <see langword="null"/> when the name was never seen.</summary>
    /// <param name="name">The claimed name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key id or <see langword="null"/>.</returns>
    ValueTask<string?> GetAsync(string name, CancellationToken cancellationToken);

    /// <summary>Remembers <paramref name="keyId"/> for <paramref name="name"/> unless the name already has a key id.</summary>
    /// <param name="name">The claimed name.</param>
    /// <param name="keyId">The key id seen first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key id the store holds for the name afterwards (the new one, or the one already there).</returns>
    ValueTask<string> GetOrAddAsync(string name, string keyId, CancellationToken cancellationToken);
}
