namespace P2p.Core.Identity;

/// <summary>Accepts every identity whose signature verified (<see cref="IdentityTrustPolicies.AcceptAnyVerified"/>).</summary>
public sealed class AcceptAnyVerifiedTrustPolicy : IIdentityTrustPolicy
{
    /// <inheritdoc />
    public ValueTask<bool> IsTrustedAsync(IdentityTrustContext context, CancellationToken cancellationToken) => ValueTask.FromResult(true);
}
