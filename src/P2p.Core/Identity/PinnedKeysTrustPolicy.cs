namespace P2p.Core.Identity;

/// <summary>Pinned keys: accepts a name only with its pinned key id; refuses unknown names and other keys.</summary>
public sealed class PinnedKeysTrustPolicy : IIdentityTrustPolicy
{
    private readonly Dictionary<string, string> _pins;

    /// <summary>Creates the policy.</summary>
    /// <param name="pins">Name → key id (64 hex characters, case-insensitive). Copied.</param>
    public PinnedKeysTrustPolicy(IReadOnlyDictionary<string, string> pins)
    {
        ArgumentNullException.ThrowIfNull(pins);
        _pins = pins.ToDictionary(p => p.Key, p => p.Value.ToLowerInvariant(), StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public ValueTask<bool> IsTrustedAsync(IdentityTrustContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(_pins.TryGetValue(context.Name, out var keyId) && string.Equals(keyId, context.KeyId, StringComparison.Ordinal));
    }
}
