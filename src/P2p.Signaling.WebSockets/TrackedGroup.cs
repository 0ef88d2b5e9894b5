namespace P2p.Signaling.WebSockets;

/// <summary>What the channel knows of a group it is a member of, to claim it in <c>resume</c>.</summary>
/// <param name="Owner">The owner's user id, when learned (from <c>create</c> or <c>get_group</c>).</param>
/// <param name="Capability">The capability, when learned; <see langword="null"/> lets the server use its default.</param>
internal sealed record TrackedGroup(string? Owner, int? Capability);
