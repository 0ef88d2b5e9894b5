namespace P2p.Core.Identity;

/// <summary>
/// Decides whom to trust: called once per connection after the peer's signature was verified. Ready-made policies are in
/// <see cref="IdentityTrustPolicies"/>.
/// </summary>
public interface IIdentityTrustPolicy
{
    /// <summary>Whether to accept the verified identity; <see langword="false"/> closes the connection ("refused by the trust policy").</summary>
    /// <param name="context">The peer and its key.</param>
    /// <param name="cancellationToken">Cancelled when the connection ends.</param>
    /// <returns><see langword="true"/> to accept.</returns>
    ValueTask<bool> IsTrustedAsync(IdentityTrustContext context, CancellationToken cancellationToken);
}
