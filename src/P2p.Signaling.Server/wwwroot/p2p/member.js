// @ts-check
/**
 * Members and their events.
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/member
 */

import { PeerState } from "./codes.js";
/** @import { VerifiedIdentity } from "./identity.js" */
/** @import { Group } from "./group.js" */

/** A member of a group as this member sees it (P2p.Core's `IPeer`). */
export class Member {
  /** @param {Group} group @param {string} id @param {boolean} isLocal */
  constructor(group, id, isLocal) {
    this._group = group;
    /** The member's user id. */
    this.id = id;
    /** True for this member. */
    this.isLocal = isLocal;
    /** @type {string} */
    this._state = isLocal ? PeerState.Connected : PeerState.Connecting;
    /** @type {Error|null} */
    this._lastError = null;
    /** @type {VerifiedIdentity|null} */
    this._identity = null;
    /** The identity proved in a routed probe (see "Relayed members"). @type {VerifiedIdentity|null} */
    this._routedIdentity = null;
    /** @type {string|null} */
    this._relayedVia = null;
  }

  /**
   * The identity this member proved over the current connection (name and key id, verified and accepted by the
   * trust policy), or null: none proved (yet), or the member has no key. For the local member: its own key, if any.
   * @returns {VerifiedIdentity|null}
   */
  get identity() { return this._identity ?? (this._state === PeerState.Relayed ? this._routedIdentity : null); }

  /** True when this member is the group's recorded owner. */
  get isOwner() { return this.id === this._group.ownerId; }

  /** The connection's `PeerState` (the local member is always connected). */
  get state() { return this._state; }

  /**
   * The member id of the relay this member is reached through while its state is `relayed` (see "Relayed members"),
   * else null.
   * @returns {string|null}
   */
  get relayedVia() { return this._relayedVia; }

  /** Why the last attempt failed (or the connection was interrupted), or null. */
  get lastError() { return this._lastError; }

  toJSON() {
    const identity = this._identity === null ? null : { name: this._identity.name, keyId: this._identity.keyId };
    return { id: this.id, isOwner: this.isOwner, isLocal: this.isLocal, state: this.state, relayedVia: this._relayedVia, lastError: this._lastError?.message ?? null, identity };
  }

  toString() {
    return this.isLocal ? `${this.id} (local)` : `${this.id} (${this.state})`;
  }
}

/** `memberjoined` / `memberleft` / `memberidentified` (the member's identity was verified and trusted) of a Group. */
export class MemberEvent extends Event {
  /** @param {string} type @param {Member} member */
  constructor(type, member) {
    super(type);
    this.member = member;
  }
}

/** `memberstatechanged` of a Group. */
export class MemberStateChangedEvent extends Event {
  /** @param {Member} member @param {string} previous @param {string} state @param {Error|null} error */
  constructor(member, previous, state, error) {
    super("memberstatechanged");
    this.member = member;
    this.previous = previous;
    this.state = state;
    /** Why, for `failed` and `disconnected`. */
    this.error = error;
    /** The member's verified identity at this moment (`member.identity`), or null. @type {VerifiedIdentity|null} */
    this.identity = member.identity;
    /** For `relayed`: the member id of the relay (`member.relayedVia`); otherwise null. @type {string|null} */
    this.relayedVia = member.relayedVia;
  }
}
