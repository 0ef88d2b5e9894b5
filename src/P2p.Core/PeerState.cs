namespace P2p.Core;

/// <summary>The state of this member's connection to another member of a group.</summary>
public enum PeerState
{
    /// <summary>The connection is being established (first attempt, or a retry after a failure).</summary>
    Connecting,

    /// <summary>Connected: messages can be exchanged. The local member is always in this state.</summary>
    Connected,

    /// <summary>Connectivity was lost and may come back; if it does not within the connect timeout the member becomes <see cref="Failed"/>.</summary>
    Disconnected,

    /// <summary>
    /// The member could not be reached (see <see cref="IPeer.LastError"/>). The SDK keeps retrying with
    /// back-off while the member remains in the group; the state returns to <see cref="Connecting"/> then.
    /// </summary>
    Failed,

    /// <summary>The member left the group (or this member did); final.</summary>
    Left,
}
