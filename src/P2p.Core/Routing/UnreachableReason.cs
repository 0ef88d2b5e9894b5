namespace P2p.Core.Routing;

/// <summary>Why a route frame could not be delivered (the reason byte of an Unreachable frame).</summary>
internal enum UnreachableReason : byte
{
    /// <summary>The relay has no connected link to the destination (or does not forward, or could not send).</summary>
    NoRoute = 1,

    /// <summary>The destination does not accept the origin's identity, or requires one that was not proven.</summary>
    Refused = 2,

    /// <summary>The destination does not know the origin as a member of the group.</summary>
    NotMember = 3,

    /// <summary>The destination received a message whose signature does not verify.</summary>
    BadSignature = 4,
}
