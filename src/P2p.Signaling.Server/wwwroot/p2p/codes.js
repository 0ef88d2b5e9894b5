// @ts-check
/**
 * Constants and codes: what members may send (`GroupCapability`, checked with `mayBroadcast`/`mayUnicast`) and the
 * state of the connection to a member (`PeerState`).
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/codes
 */
/** What members may send (the `capability` of `create`/`get_group`); fixed when the group is created. */
export const GroupCapability = Object.freeze({
  None: 0,
  /** Only the owner broadcasts. */
  BroadcastOwner: 1,
  /** Every member broadcasts. */
  BroadcastEveryone: 2,
  /** Unicast only between the owner and another member, either way. */
  UnicastOwner: 4,
  /** Every member unicasts to every other. */
  UnicastEveryone: 8,
  All: 15,
});

/** The state of this member's connection to another member (P2p.Core's `PeerState`). */
export const PeerState = Object.freeze({
  /** A connection attempt is running (first, or a retry). */
  Connecting: "connecting",
  /** The channel is open; messages flow. The local member is always connected. */
  Connected: "connected",
  /**
   * The connection lost its path; ICE restarts through the signaling server are restoring it (same connection, no
   * leave or join) for up to `recoveryTimeout`, then it is failed. Messages sent meanwhile wait in the connection.
   */
  Interrupted: "interrupted",
  /** The last attempt failed (`lastError` says why); the member that joined later retries with back-off. */
  Failed: "failed",
  /**
   * The direct connection is not up (it failed, or is being retried), but the member is reached through another
   * member that forwards for both (`relayedVia`; see "Relayed members" in docs/browser-client.md). Messages flow,
   * acknowledged end to end; the direct connection keeps being retried, and once it connects the member is
   * `connected` again.
   */
  Relayed: "relayed",
  /** The member left (or this member did); final. */
  Left: "left",
});


/**
 * `BroadcastEveryone`, or `BroadcastOwner` and the sender is the owner.
 * @param {number} capability @param {string} senderId @param {string} ownerId
 */
export function mayBroadcast(capability, senderId, ownerId) {
  return (capability & GroupCapability.BroadcastEveryone) !== 0
    || ((capability & GroupCapability.BroadcastOwner) !== 0 && senderId === ownerId);
}

/**
 * `UnicastEveryone`, or `UnicastOwner` and one end is the owner.
 * @param {number} capability @param {string} fromId @param {string} toId @param {string} ownerId
 */
export function mayUnicast(capability, fromId, toId, ownerId) {
  return (capability & GroupCapability.UnicastEveryone) !== 0
    || ((capability & GroupCapability.UnicastOwner) !== 0 && (fromId === ownerId || toId === ownerId));
}
