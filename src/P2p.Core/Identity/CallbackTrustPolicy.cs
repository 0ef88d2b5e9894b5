namespace P2p.Core.Identity;

/// <summary>A trust policy that asks an application callback.</summary>
/// <param name="decide">Returns <see langword="true"/> to accept the identity.</param>
public sealed class CallbackTrustPolicy(Func<IdentityTrustContext, CancellationToken, ValueTask<bool>> decide) : IIdentityTrustPolicy
{
    private readonly Func<IdentityTrustContext, CancellationToken, ValueTask<bool>> _decide = decide ?? throw new ArgumentNullException(nameof(decide));

    /// <inheritdoc />
    public ValueTask<bool> IsTrustedAsync(IdentityTrustContext context, CancellationToken cancellationToken) => _decide(context, cancellationToken);
}
