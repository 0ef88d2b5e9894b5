namespace P2p.Core.Identity;

/// <summary>
/// Trust on first use: the first key seen for a name is remembered; the same name with another key is refused later
/// (<see cref="IdentityTrustPolicies.TrustOnFirstUse"/>).
/// </summary>
/// <param name="store">Where name → key id is kept.</param>
public sealed class TrustOnFirstUsePolicy(ITrustStore store) : IIdentityTrustPolicy
{
    private readonly ITrustStore _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <inheritdoc />
    public async ValueTask<bool> IsTrustedAsync(IdentityTrustContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var remembered = await _store.GetOrAddAsync(context.Name, context.KeyId, cancellationToken).ConfigureAwait(false);
        return string.Equals(remembered, context.KeyId, StringComparison.OrdinalIgnoreCase);
    }
}
