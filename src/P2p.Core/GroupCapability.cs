namespace P2p.Core;

/// <summary>
/// What the members of a group may send, fixed when the group is created (the seed's
/// <c>GroupCapability</c>; the values are the wire values of the signaling <c>create</c> call).
/// Enforced by the sender (a forbidden call throws before anything is sent) and by the receiver
/// (a forbidden message is dropped and logged).
/// </summary>
[Flags]
public enum GroupCapability
{
    /// <summary>Nothing may be sent.</summary>
    None = 0,

    /// <summary>The owner may broadcast to every member.</summary>
    BroadcastOwner = 1,

    /// <summary>Every member may broadcast.</summary>
    BroadcastEveryone = 2,

    /// <summary>Unicast only between the owner and another member (either direction).</summary>
    UnicastOwner = 4,

    /// <summary>Unicast between any two members.</summary>
    UnicastEveryone = 8,

    /// <summary>Everything is allowed.</summary>
    All = BroadcastOwner | BroadcastEveryone | UnicastOwner | UnicastEveryone,
}
