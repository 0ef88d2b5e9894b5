namespace P2p.Core.Identity;

/// <summary>Ready-made <see cref="IIdentityTrustPolicy"/> instances.</summary>
public static class IdentityTrustPolicies
{
    /// <summary>Accepts every identity whose signature verified (proof of possession only; any key is welcome).</summary>
    public static IIdentityTrustPolicy AcceptAnyVerified { get; } = new AcceptAnyVerifiedTrustPolicy();

    /// <summary>The application decides, asynchronously.</summary>
    /// <param name="decide">Returns <see langword="true"/> to accept.</param>
    /// <returns>The policy.</returns>
    public static IIdentityTrustPolicy FromCallback(Func<IdentityTrustContext, CancellationToken, ValueTask<bool>> decide) => new CallbackTrustPolicy(decide);

    /// <summary>Pinned keys: a name is accepted only with its pinned key id; unknown names are refused.</summary>
    /// <param name="pins">Name → key id (64 hex characters, case-insensitive).</param>
    /// <returns>The policy.</returns>
    public static IIdentityTrustPolicy Pinned(IReadOnlyDictionary<string, string> pins) => new PinnedKeysTrustPolicy(pins);

    /// <summary>Trust on first use: the first key seen for a name is remembered in <paramref name="store"/>; a later different key for it is refused.</summary>
    /// <param name="store">Where name → key id is kept (<see cref="InMemoryTrustStore"/>, <see cref="JsonFileTrustStore"/>).</param>
    /// <returns>The policy.</returns>
    public static IIdentityTrustPolicy TrustOnFirstUse(ITrustStore store) => new TrustOnFirstUsePolicy(store);
}
