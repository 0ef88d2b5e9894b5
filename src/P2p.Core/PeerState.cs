namespace P2p.Core;

/// <summary>The state of this member's connection to another member of a group.</summary>
public enum PeerState
{
    /// <summary>The connection is being established (first attempt, or a retry after a failure).</summary>
    Connecting,

    /// <summary>Connected: messages can be exchanged. The local member is always in this state.</summary>
    Connected,

    /// <summary>
    /// The connection lost its path (no sign of life for <see cref="P2pOptions.InterruptionTimeout"/>) and is being
    /// restored by an ICE restart through the signaling server, without the member leaving the group. Messages
    /// sent meanwhile wait in the connection and are delivered once it recovers. If it does not recover within
    /// <see cref="P2pOptions.RecoveryTimeout"/> (or the member turns out to be gone from the signaling server as
    /// well) the member becomes <see cref="Failed"/>.
    /// </summary>
    Interrupted,

    /// <summary>
    /// The member could not be reached (see <see cref="IPeer.LastError"/>). The SDK keeps retrying with
    /// back-off while the member remains in the group; the state returns to <see cref="Connecting"/> then.
    /// </summary>
    Failed,

    /// <summary>The member left the group (or this member did); final.</summary>
    Left,

    /// <summary>
    /// There is no direct connection to this member (it could not be established, even through TURN), but messages reach it
    /// through another member connected to both (<see cref="IPeer.RelayedVia"/>; docs/concepts.md, "Relayed members").
    /// Broadcasts, requests and replies work as with a direct connection. The direct connection keeps being retried with
    /// back-off; when one succeeds the member becomes <see cref="Connected"/> again.
    /// </summary>
    Relayed,
}
