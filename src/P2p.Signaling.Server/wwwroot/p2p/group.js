// @ts-check
/**
 * Groups: the members, their connections, broadcast and unicast.
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/group
 */

import { PeerState, mayBroadcast, mayUnicast } from "./codes.js";
import { GroupError, GroupErrorCode, SignalingError, SignalingErrorCode } from "./errors.js";
import { Deferred, EMPTY, Semaphore, abortable, formatDuration, messageOf, timeoutError, toBytes } from "./util.js";
import { DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE, FRAME_HEADER_SIZE, FrameKind, encodeErrorPayload } from "./framing.js";
import { resolveIdentity } from "./identity.js";
import { Member, MemberEvent } from "./member.js";
import { PeerLink } from "./link.js";
import { Router, resolveRelaying } from "./routing.js";
/** @import { Payload } from "./util.js" */
/** @import { GroupInfo } from "./signaling.js" */
/** @import { IdentityOptions } from "./identity.js" */
/** @import { RelayingOptions } from "./routing.js" */
/** @import { P2pService } from "./service.js" */

/**
 * @callback MessageHandler
 * Receives broadcasts, one at a time in arrival order (the next waits until the returned promise settles).
 * @param {Member} from
 * @param {Uint8Array} data
 * @param {AbortSignal} signal aborted when this member leaves the group
 * @returns {void|Promise<void>}
 */

/**
 * @callback RequestHandler
 * Answers a unicast request: returns (or resolves to) the reply; a thrown error becomes an error reply
 * (`HandlerFailed` with the error's message, or a GroupError's own code 1..99).
 * @param {Member} from
 * @param {Uint8Array} data
 * @param {AbortSignal} signal aborted when this member leaves the group
 * @returns {Payload|void|Promise<Payload|void>}
 */

/**
 * @typedef {object} GroupOptions
 * @property {MessageHandler|null} [messageHandler] receives broadcasts (set it here so nothing arrives before it)
 * @property {RequestHandler|null} [requestHandler] answers requests (none: callers get `NoHandler`)
 * @property {number} [maxMessageSize] the largest message sent or accepted, bytes (default 16 MiB)
 * @property {number} [requestTimeout] how long `unicast` waits for the connection and the reply, ms (default 30 000)
 * @property {number} [maxFrameSize] the largest frame sent, bytes (default 64 KiB; never more than the remote's max-message-size)
 * @property {number} [maxConcurrentRequests] request handlers running at once in this group (default 16)
 * @property {IdentityOptions|null} [identity] this member's identity key and whom it trusts (default none: no identity handshake is required, a peer's is still verified)
 * @property {RelayingOptions|null} [relaying] relayed members: reaching members through others when a direct connection fails, and forwarding for others (default: both on)
 */

/**
 * @typedef {object} BroadcastFailure
 * @property {Member} member
 * @property {Error} error
 */

/**
 * @typedef {object} BroadcastResult
 * @property {Member[]} delivered the members whose connection took the whole message
 * @property {BroadcastFailure[]} failed the others (not connected, or failed meanwhile), with why
 * @property {boolean} allDelivered true when every other member took the message
 */

/**
 * @param {GroupOptions|undefined} options
 * @param {GroupOptions} defaults
 * @returns {Required<GroupOptions>}
 */
export function groupOptions(options, defaults) {
  /** @type {Required<GroupOptions>} */
  const result = {
    messageHandler: null,
    requestHandler: null,
    maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
    requestTimeout: 30000,
    maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
    maxConcurrentRequests: 16,
    identity: null,
    relaying: null,
    ...defaults,
    ...options,
  };
  resolveIdentity(result.identity); // validates
  resolveRelaying(result.relaying); // validates
  if (!(Number.isInteger(result.maxMessageSize) && result.maxMessageSize >= 0 && result.maxMessageSize <= 0x7fffffff - 64)) {
    throw new RangeError("maxMessageSize must be an integer between 0 and 2 GiB.");
  }
  if (!(result.requestTimeout > 0)) throw new RangeError("requestTimeout must be positive.");
  if (!(Number.isInteger(result.maxFrameSize) && result.maxFrameSize > FRAME_HEADER_SIZE)) {
    throw new RangeError(`maxFrameSize must be an integer larger than ${FRAME_HEADER_SIZE}.`);
  }
  if (!(Number.isInteger(result.maxConcurrentRequests) && result.maxConcurrentRequests >= 1)) {
    throw new RangeError("maxConcurrentRequests must be at least 1.");
  }
  return result;
}

/**
 * This member's view of a group (P2p.Core's `IGroup`): its members and the connections to them, and the
 * group messaging. Obtained from `P2pService.createGroup` or `joinGroup`.
 *
 * Events (dispatched in order, never while the client is in the middle of a change):
 * `memberjoined` and `memberleft` (MemberEvent), `memberstatechanged` (MemberStateChangedEvent).
 */
export class Group extends EventTarget {
  /**
   * @param {P2pService} service @param {string} id @param {string} localId @param {Required<GroupOptions>} options
   */
  constructor(service, id, localId, options) {
    super();
    this._service = service;
    this._signaling = service._signaling;
    this._logger = service._logger;
    /** The group's id. */
    this.id = id;
    /** This member's user id. */
    this.localId = localId;
    /** The settings of this membership. @type {Readonly<Required<GroupOptions>>} */
    this.options = Object.freeze({ ...options });
    /** Receives broadcasts; may be replaced at any time. @type {MessageHandler|null} */
    this.messageHandler = options.messageHandler;
    /** Answers requests; may be replaced at any time. @type {RequestHandler|null} */
    this.requestHandler = options.requestHandler;
    this._ownerId = "";
    this._capability = 0;
    /** @type {Map<string, PeerLink>} */
    this._links = new Map();
    /** @type {Set<string>} */
    this._departedWhileJoining = new Set();
    this._local = new Member(this, localId, true);
    this._ready = false;
    this._closing = false;
    this._signalingClosed = false;
    this._lifetime = new AbortController();
    this._closed = new Deferred();
    this._meshChanged = new Deferred();
    this._requestSlots = new Semaphore(options.maxConcurrentRequests);
    /** @type {{sender: Member, data: Uint8Array}[]} */
    this._inbound = [];
    this._dispatching = false;
    /** Test hook: a "modified peer" that skips the sender-side capability checks. */
    this._bypassSenderChecks = false;
    /** This member's identity settings. */
    this._identity = resolveIdentity(options.identity);
    const key = this._identity.key;
    if (key) this._local._identity = { name: this._identity.name, keyId: key.keyId, publicKey: key.spki, key: key.publicKey };
    /** Test hook: rewrites (or, returning null, withholds) the Identity frame about to be sent. @type {((frame: Uint8Array) => Uint8Array|null)|null} */
    this._identityFrameHook = null;
    /** Test hook: rewrites the route frames this member forwards for others (a relay that alters them). @type {((frame: Uint8Array) => Uint8Array)|null} */
    this._forwardHook = null;
    /** Relayed members: routes to members this one cannot reach directly, and forwarding for others. */
    this._router = new Router(this, resolveRelaying(options.relaying));
  }

  /** The user id of the group's recorded owner (its creator; kept by the server after the owner leaves). */
  get ownerId() { return this._ownerId; }

  /** What members may send (`GroupCapability` flags), enforced by sender and receiver. */
  get capability() { return this._capability; }

  /** This member. */
  get localMember() { return this._local; }

  /** The other members currently in the group, with their connection state. @returns {Member[]} */
  get members() { return [...this._links.values()].map((link) => link.member); }

  /** True once this member has left the group. */
  get isClosed() { return this._closing; }

  /** Looks a member up by user id (this member included). @param {string} userId @returns {Member|null} */
  getMember(userId) {
    if (userId === this.localId) return this._local;
    return this._links.get(userId)?.member ?? null;
  }

  /**
   * Sends `data` to every other member over its own connection. Resolves when every connected member's
   * channel took the message (no acknowledgement from the receiving application).
   * @param {Payload} data
   * @param {{signal?: AbortSignal}} [options]
   * @returns {Promise<BroadcastResult>}
   */
  async broadcast(data, options = {}) {
    this._throwIfClosed();
    const bytes = toBytes(data);
    this._checkSize(bytes.length);
    if (!this._bypassSenderChecks && !mayBroadcast(this._capability, this.localId, this._ownerId)) {
      const ownerOnly = mayBroadcast(this._capability, this._ownerId, this._ownerId) ? " (only the owner may)" : "";
      throw new GroupError(GroupErrorCode.Forbidden, `The group's capability (${this._capability}) does not allow ${this.localId} to broadcast${ownerOnly}.`);
    }
    const signal = options.signal ? AbortSignal.any([options.signal, this._lifetime.signal]) : this._lifetime.signal;
    /** @type {[Member, Promise<void>][]} */
    const sends = [];
    /** @type {BroadcastFailure[]} */
    const failed = [];
    for (const link of this._links.values()) {
      const messenger = link.messenger();
      if (messenger) {
        sends.push([link.member, messenger.send(FrameKind.Broadcast, messenger.nextMessageId(), bytes, signal)]);
      } else if (this._router.hasRoute(link.member.id)) {
        sends.push([link.member, this._router.send(link.member.id, FrameKind.Broadcast, null, bytes, signal)]);
      } else {
        failed.push({ member: link.member, error: new GroupError(GroupErrorCode.NotConnected, `Member ${link.member.id} is not connected (${link.member.state}).`, { cause: link.member.lastError }) });
      }
    }
    /** @type {Member[]} */
    const delivered = [];
    for (const [member, send] of sends) {
      try {
        await send;
        delivered.push(member);
      } catch (error) {
        failed.push({ member, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
    options.signal?.throwIfAborted();
    if (failed.length > 0) this._logger.debug(`Broadcast in group ${this.id} reached ${delivered.length} members; ${failed.length} could not be reached`);
    return { delivered, failed, allDelivered: failed.length === 0 };
  }

  /**
   * Sends a request to one member and resolves with its reply. Waits (within the request timeout) for the
   * member to be connected. Rejects with a GroupError: the remote's error reply (`isRemote`, `code`,
   * `remoteMessage`), or a local one (Forbidden, TooLarge, Timeout, NotConnected, NotMember, ConnectionLost,
   * GroupClosed); an aborted `signal` rejects with its reason.
   * @param {string} memberId
   * @param {Payload} data
   * @param {{signal?: AbortSignal, timeout?: number}} [options] `timeout` in ms overrides the group's requestTimeout
   * @returns {Promise<Uint8Array>}
   */
  async unicast(memberId, data, options = {}) {
    this._throwIfClosed();
    if (memberId === this.localId) throw new TypeError("A member cannot unicast to itself.");
    const bytes = toBytes(data);
    this._checkSize(bytes.length);
    if (!this._bypassSenderChecks && !mayUnicast(this._capability, this.localId, memberId, this._ownerId)) {
      throw new GroupError(GroupErrorCode.Forbidden, `The group's capability (${this._capability}) does not allow unicast from ${this.localId} to ${memberId}.`);
    }
    const link = this._links.get(memberId);
    if (!link) throw new GroupError(GroupErrorCode.NotMember, `No member ${memberId} in group ${this.id}.`);

    const timeout = options.timeout ?? this.options.requestTimeout;
    const timer = new AbortController();
    const handle = setTimeout(() => timer.abort(timeoutError("timeout")), timeout);
    const signals = [timer.signal, this._lifetime.signal];
    if (options.signal) signals.push(options.signal);
    const signal = AbortSignal.any(signals);
    let connected = false;
    try {
      const messenger = await link.waitForPath(signal);
      connected = true;
      return messenger ? await messenger.request(bytes, signal) : await this._router.request(memberId, bytes, signal);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timer.signal.aborted && error === timer.signal.reason) {
        throw new GroupError(GroupErrorCode.Timeout, connected
          ? `No reply from member ${memberId} within ${formatDuration(timeout)}.`
          : `Member ${memberId} did not connect within ${formatDuration(timeout)}.`);
      }
      if (this._lifetime.signal.aborted && !(error instanceof GroupError && error.isRemote)) {
        throw new GroupError(GroupErrorCode.GroupClosed, `This member left group ${this.id}.`);
      }
      throw error;
    } finally {
      clearTimeout(handle);
    }
  }

  /**
   * Resolves when every current member is reachable: connected, or `relayed` (reached through another member; see
   * "Relayed members"). Pass a timeout or signal: an unreachable member keeps it waiting.
   * @param {{signal?: AbortSignal, timeout?: number}} [options]
   */
  async whenAllConnected(options = {}) {
    const signals = [];
    if (options.signal) signals.push(options.signal);
    if (options.timeout !== undefined) signals.push(AbortSignal.timeout(options.timeout));
    const signal = signals.length > 0 ? AbortSignal.any(signals) : null;
    for (;;) {
      const changed = this._meshChanged.promise;
      this._throwIfClosed();
      if (this.members.every((member) => member.state === PeerState.Connected || member.state === PeerState.Relayed)) return;
      await abortable(changed, signal);
    }
  }

  /**
   * Leaves the group: refuses new sends, waits (at most `leaveTimeout`) until every connected member's channel has sent
   * what this member gave it, tells the server, closes every connection, fails pending requests with `GroupClosed`.
   */
  async leave() {
    if (this._closing) return this._closed.promise;
    this._closing = true;
    this._logger.info(`Leaving group ${this.id}`);
    if (this._ready) await this._drainLinks();
    if (this._ready && !this._signalingClosed && !this._signaling.isClosed) {
      try {
        await this._signaling.leaveGroup(this.id, { timeout: this._service._options.leaveTimeout });
      } catch (error) {
        this._logger.warn(`The signaling server did not confirm leaving group ${this.id}: ${messageOf(error)}`);
      }
    }
    this._shutdown();
    return this._closed.promise;
  }

  /**
   * Leaving, before the server and the others hear of it (they drop a member that left at once): waits until the
   * connected members' channels have sent everything, at most `leaveTimeout`.
   */
  async _drainLinks() {
    const drains = [];
    for (const link of this._links.values()) {
      const messenger = link.messenger();
      if (messenger && link.member.state === PeerState.Connected) drains.push(messenger.drained());
    }
    if (drains.length === 0) return;
    let timer;
    const timedOut = new Promise((resolve) => { timer = setTimeout(() => resolve(true), this._service._options.leaveTimeout); });
    const late = await Promise.race([Promise.all(drains).then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) this._logger.warn(`Leaving group ${this.id}: some members' channels still held unsent messages after ${this._service._options.leaveTimeout} ms`);
  }

  // ---- what the service and the links use ----

  /** Owner, capability and a link to every other member; members listed before this one are offered to. @param {GroupInfo} info */
  _initialize(info) {
    this._ownerId = info.owner;
    this._capability = info.capability;
    const self = info.members.indexOf(this.localId);
    const started = [];
    for (let i = 0; i < info.members.length; i++) {
      const id = info.members[i];
      if (i === self || this._links.has(id) || this._departedWhileJoining.has(id)) continue;
      const link = new PeerLink(this, new Member(this, id, false), self < 0 || i < self);
      this._links.set(id, link);
      started.push(link);
    }
    this._departedWhileJoining.clear();
    this._ready = true;
    this._logger.info(`Member of group ${this.id} as ${this.localId} (owner ${info.owner}, capability ${info.capability}); connecting to ${started.length} members`);
    for (const link of started) link.start();
    for (const link of this._links.values()) link.drainBacklog();
    this._signalMeshChanged();
  }

  /** @param {string} userId */
  _onMemberJoined(userId) {
    if (userId === this.localId || this._closing || this._links.has(userId)) return;
    this._departedWhileJoining.delete(userId);
    const link = new PeerLink(this, new Member(this, userId, false), false);
    this._links.set(userId, link);
    this._post(new MemberEvent("memberjoined", link.member));
    this._logger.info(`Member ${userId} joined; waiting for its offer`);
    link.start();
    this._signalMeshChanged();
  }

  /** @param {string} userId @param {string} why */
  _removeMember(userId, why) {
    if (!this._ready) this._departedWhileJoining.add(userId);
    const link = this._links.get(userId);
    if (!link) return;
    this._links.delete(userId);
    this._post(new MemberEvent("memberleft", link.member));
    this._logger.info(`Member ${userId} is gone: ${why}`);
    const reason = new GroupError(GroupErrorCode.NotConnected, `Member ${userId} is no longer in the group: ${why}.`);
    link.remove(reason, true);
    this._router.onMemberLeft(userId, reason);
    this._signalMeshChanged();
  }

  /** After a relay failed because the server no longer knows the member: remove it if it is really gone. @param {string} userId */
  async _verifyMember(userId) {
    try {
      const members = await this._signaling.getMembers(this.id, { signal: this._lifetime.signal });
      if (!members.includes(userId)) this._removeMember(userId, "the signaling server no longer lists it");
    } catch (error) {
      this._logger.debug(`Could not check whether member ${userId} is still in group ${this.id}: ${messageOf(error)}`);
    }
  }

  /**
   * The signaling connection is back (same id, same memberships): interrupted links restart ICE at once. Then the
   * membership is compared with the server's list, as notifications sent while this member could not hear them are lost:
   * an unconnected member no longer listed left meanwhile; a listed member this one does not know joined meanwhile.
   */
  _onSignalingReconnected() {
    /** @type {string[]} */
    const unconnected = [];
    for (const link of this._links.values()) {
      link.nudgeRecovery();
      if (!link.messenger()) unconnected.push(link.member.id);
    }
    if (!this._ready || this._closing) return;
    this._signaling.getMembers(this.id, { signal: this._lifetime.signal }).then((members) => {
      for (const id of unconnected) {
        if (!members.includes(id)) this._removeMember(id, "the signaling server no longer lists it");
      }
      this._addMissedMembers(members);
    }, (error) => this._logger.debug(`Could not compare the members of group ${this.id} with the server's after reconnecting: ${messageOf(error)}`));
  }

  /**
   * Links to the members of the server's list this member does not know (they joined while its signaling connection was
   * away). The rule of the initial list applies: offer to those listed before this member (after a server restart the
   * list follows the resumes, and those back first were told this member joined), wait for those after it.
   * @param {string[]} members
   */
  _addMissedMembers(members) {
    const self = members.indexOf(this.localId);
    if (self < 0 || this._closing) return;
    let added = 0;
    for (let i = 0; i < members.length; i++) {
      const id = members[i];
      if (i === self || this._links.has(id)) continue;
      const link = new PeerLink(this, new Member(this, id, false), i < self);
      this._links.set(id, link);
      this._post(new MemberEvent("memberjoined", link.member));
      this._logger.info(`Member ${id} joined while the signaling connection was away; ${i < self ? "offering" : "waiting for its offer"}`);
      link.start();
      added++;
    }
    if (added > 0) this._signalMeshChanged();
  }

  _onSignalingClosed() {
    this._signalingClosed = true;
    for (const link of [...this._links.values()]) {
      if (!link.messenger() && !this._router.hasRoute(link.member.id)) this._removeMember(link.member.id, "the signaling connection closed before it was connected");
    }
  }

  /** A relay from another member of this group: an offer or a candidate. @param {string} fromUserId @param {any} data */
  async _onRelay(fromUserId, data) {
    const type = data !== null && typeof data === "object" && typeof data.type === "string" ? data.type : null;
    switch (type) {
      case "offer":
        if (typeof data.sdp !== "string") {
          throw new SignalingError(SignalingErrorCode.InvalidParams, 'Malformed offer: expected {"type":"offer","sdp":"..."}.');
        }
        return this._linkForRelay(fromUserId).onRemoteOffer(data.sdp, data.iceRestart === true);
      case "restart": {
        const link = this._links.get(fromUserId);
        if (!link || !link.onRestartRequested()) {
          throw new SignalingError(SignalingErrorCode.NothingToRestart, `User ${this.localId} has no live connection to ${fromUserId} in group ${this.id} that it could restart.`);
        }
        return true;
      }
      case "candidate": {
        const mid = data.sdpMid;
        const index = data.sdpMLineIndex;
        if (typeof data.candidate !== "string"
          || (mid !== undefined && mid !== null && typeof mid !== "string")
          || (index !== undefined && index !== null && !(Number.isInteger(index) && index >= 0))) {
          throw new SignalingError(SignalingErrorCode.InvalidParams, 'Malformed candidate: expected {"type":"candidate","candidate":"...","sdpMid":...,"sdpMLineIndex":...}.');
        }
        this._linkForRelay(fromUserId).onRemoteCandidate({ candidate: data.candidate, sdpMid: mid ?? null, sdpMLineIndex: index ?? null });
        return null;
      }
      default:
        this._logger.warn(`Refused a relay of unknown type ${type ?? "(none)"} from member ${fromUserId}`);
        throw new SignalingError(SignalingErrorCode.InvalidParams, `Unknown relay type '${type ?? "(none)"}': expected "offer", "candidate" or "restart".`);
    }
  }

  /** The link a relay is for; a sender not known yet is a member that joined after this one. @param {string} userId */
  _linkForRelay(userId) {
    if (this._closing || this._departedWhileJoining.has(userId) || userId === this.localId) {
      throw new SignalingError(SignalingErrorCode.NotInGroup, `User ${this.localId} is not a member of group ${this.id} (or does not know ${userId} in it).`);
    }
    const existing = this._links.get(userId);
    if (existing) return existing;
    const link = new PeerLink(this, new Member(this, userId, false), false);
    this._links.set(userId, link);
    this._post(new MemberEvent("memberjoined", link.member));
    link.start();
    this._signalMeshChanged();
    return link;
  }

  /**
   * Runs the request handler for a request from `from` (direct or relayed) and sends its answer through `respond`
   * (kind Reply or Error, and the payload).
   * @param {Member} from @param {Uint8Array} request
   * @param {(kind: number, payload: Uint8Array) => Promise<void>} respond
   * @param {() => boolean} cannotAnswer true when the way back is gone (a handler's error is then not sent)
   */
  async _answerRequest(from, request, respond, cannotAnswer) {
    const lifetime = this._lifetime.signal;
    const sendError = (/** @type {number} */ code, /** @type {string} */ message) => respond(FrameKind.Error, encodeErrorPayload(code, message));
    try {
      await this._requestSlots.acquire(lifetime);
    } catch {
      return; // left the group
    }
    try {
      if (this._closing) {
        await sendError(GroupErrorCode.Unavailable, `Member ${this.localId} is leaving the group.`);
        return;
      }
      const handler = this.requestHandler;
      if (!handler) {
        this._logger.warn(`Refused a request from member ${from.id}: no request handler is set`);
        await sendError(GroupErrorCode.NoHandler, `Member ${this.localId} has no request handler.`);
        return;
      }
      let reply;
      try {
        reply = toBytes((await handler(from, request, lifetime)) ?? EMPTY);
      } catch (error) {
        if (lifetime.aborted || cannotAnswer()) return; // nobody can be answered
        if (error instanceof GroupError && error.code > 0 && error.code < 100) {
          await sendError(error.code, error.message);
        } else {
          this._logger.warn(`The request handler failed for a request from member ${from.id}:`, error);
          await sendError(GroupErrorCode.HandlerFailed, messageOf(error));
        }
        return;
      }
      if (reply.length > this.options.maxMessageSize) {
        this._logger.warn(`The reply to member ${from.id} (${reply.length} bytes) exceeds the message size limit`);
        await sendError(GroupErrorCode.TooLarge, `The reply (${reply.length} bytes) exceeds the limit of ${this.options.maxMessageSize} bytes.`);
        return;
      }
      await respond(FrameKind.Reply, reply);
    } catch (error) {
      this._logger.debug(`Could not answer a request from member ${from.id}: ${messageOf(error)}`);
    } finally {
      this._requestSlots.release();
    }
  }

  /** @param {Member} sender @param {Uint8Array} data */
  _enqueueBroadcast(sender, data) {
    if (this._closing) return;
    this._inbound.push({ sender, data });
    if (!this._dispatching) void this._dispatchBroadcasts();
  }

  async _dispatchBroadcasts() {
    this._dispatching = true;
    try {
      while (this._inbound.length > 0 && !this._closing) {
        const next = this._inbound.shift();
        if (!next) break;
        const handler = this.messageHandler;
        if (!handler) {
          this._logger.warn(`Dropped a broadcast from member ${next.sender.id}: no message handler is set`);
          continue;
        }
        try {
          await handler(next.sender, next.data, this._lifetime.signal);
        } catch (error) {
          if (this._closing) return;
          this._logger.error(`The message handler failed for a broadcast from member ${next.sender.id}:`, error);
        }
      }
    } finally {
      this._dispatching = false;
    }
  }

  /** Closes everything locally (after leaving, or when joining failed). */
  _shutdown() {
    this._closing = true;
    const links = [...this._links.values()];
    this._links.clear();
    const reason = new GroupError(GroupErrorCode.GroupClosed, `This member left group ${this.id}.`);
    for (const link of links) link.remove(reason, false);
    this._router.shutdown(reason);
    this._lifetime.abort(reason);
    this._inbound = [];
    this._signalMeshChanged();
    this._service._onGroupClosed(this);
    this._logger.info(`Left group ${this.id}`);
    this._closed.resolve();
  }

  /** Dispatches an event after the current change is complete, in order. @param {Event} event */
  _post(event) {
    queueMicrotask(() => this.dispatchEvent(event));
  }

  _signalMeshChanged() {
    const changed = this._meshChanged;
    this._meshChanged = new Deferred();
    changed.resolve();
  }

  /** @param {number} length */
  _checkSize(length) {
    if (length > this.options.maxMessageSize) {
      throw new GroupError(GroupErrorCode.TooLarge, `The message (${length} bytes) exceeds the group's limit of ${this.options.maxMessageSize} bytes.`);
    }
  }

  _throwIfClosed() {
    if (this._closing) throw new GroupError(GroupErrorCode.GroupClosed, `This member left group ${this.id}.`);
  }
}
