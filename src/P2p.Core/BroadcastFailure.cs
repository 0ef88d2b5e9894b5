namespace P2p.Core;

/// <summary>A member a broadcast could not be handed to, and why.</summary>
/// <param name="Peer">The member.</param>
/// <param name="Error">Why (usually a <see cref="GroupException"/>).</param>
public sealed record BroadcastFailure(IPeer Peer, Exception Error);
