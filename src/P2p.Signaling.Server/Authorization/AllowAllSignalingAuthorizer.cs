namespace P2p.Signaling.Server.Authorization;

/// <summary>The default <see cref="ISignalingAuthorizer"/>: every connection may create and join any group.</summary>
public sealed class AllowAllSignalingAuthorizer : ISignalingAuthorizer
{
    /// <summary>The one instance.</summary>
    public static AllowAllSignalingAuthorizer Instance { get; } = new();

    /// <inheritdoc />
    public ValueTask<bool> CanCreateAsync(SignalingAuthorizationContext context, int capability, CancellationToken cancellationToken) => ValueTask.FromResult(true);

    /// <inheritdoc />
    public ValueTask<bool> CanJoinAsync(SignalingAuthorizationContext context, string groupId, CancellationToken cancellationToken) => ValueTask.FromResult(true);
}
