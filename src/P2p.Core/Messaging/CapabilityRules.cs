namespace P2p.Core.Messaging;

/// <summary>What <see cref="GroupCapability"/> allows; the same rules run at the sender and at the receiver.</summary>
internal static class CapabilityRules
{
    /// <summary><see cref="GroupCapability.BroadcastEveryone"/>, or <see cref="GroupCapability.BroadcastOwner"/> and the sender is the owner.</summary>
    public static bool MayBroadcast(GroupCapability capability, string senderId, string ownerId) =>
        (capability & GroupCapability.BroadcastEveryone) != 0
        || ((capability & GroupCapability.BroadcastOwner) != 0 && string.Equals(senderId, ownerId, StringComparison.Ordinal));

    /// <summary><see cref="GroupCapability.UnicastEveryone"/>, or <see cref="GroupCapability.UnicastOwner"/> and one end is the owner.</summary>
    public static bool MayUnicast(GroupCapability capability, string fromId, string toId, string ownerId) =>
        (capability & GroupCapability.UnicastEveryone) != 0
        || ((capability & GroupCapability.UnicastOwner) != 0
            && (string.Equals(fromId, ownerId, StringComparison.Ordinal) || string.Equals(toId, ownerId, StringComparison.Ordinal)));
}
