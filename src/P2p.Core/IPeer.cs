namespace P2p.Core;

/// <summary>A member of a group, as seen by this member.</summary>
public interface IPeer
{
    /// <summary>The member's user id (its <see cref="ServiceInfo.Id"/>).</summary>
    string Id { get; }

    /// <summary><see langword="true"/> for the local member (<see cref="IGroup.LocalMember"/>).</summary>
    bool IsLocal { get; }

    /// <summary><see langword="true"/> when this member is the group's recorded owner (its creator).</summary>
    bool IsOwner { get; }

    /// <summary>The state of the connection to this member (<see cref="PeerState.Connected"/> for the local member).</summary>
    PeerState State { get; }

    /// <summary>Why the last connection attempt failed or the connection was lost, if it did; otherwise <see langword="null"/>.</summary>
    Exception? LastError { get; }

    /// <summary>
    /// The member's identity as verified on the current connection (docs/concepts.md, "Identity"), or <see langword="null"/>
    /// when it proved none (no key, not connected yet, or an older client). When this member requires peer identity it is set
    /// before the member is reported connected; otherwise it appears when the member's first frame (its proof) is read,
    /// possibly just after. While the member is <see cref="PeerState.Relayed"/>: the identity it proved in the route's probe
    /// (docs/protocol.md, "Relayed members (extension)"), which its relayed messages are then signed with. For the local
    /// member: its own configured identity.
    /// </summary>
    Identity.PeerIdentity? Identity => null;

    /// <summary>
    /// The id of the member that relays messages to and from this member while it is <see cref="PeerState.Relayed"/>;
    /// otherwise <see langword="null"/> (docs/concepts.md, "Relayed members").
    /// </summary>
    string? RelayedVia => null;
}
