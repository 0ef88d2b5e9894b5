// @ts-check
/**
 * Relayed members (docs/protocol.md, "Relayed members (extension)"): when two members cannot connect directly, they
 * exchange their messages through a third member connected to both. The relay role (forwarding), probes and routes,
 * relayed sending (seq, fragments, acks, resending) and receiving (dedup, origin signatures). Everything of the
 * extension but the frame codec is here; the rest of the client only asks the Router.
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/routing
 */

import { PeerState, mayBroadcast, mayUnicast } from "./codes.js";
import { GroupError, GroupErrorCode, IdentityFailureReason, codeName, identityError } from "./errors.js";
import { Deferred, EMPTY, abortable, encoder, formatDuration, messageOf } from "./util.js";
import { FRAME_HEADER_SIZE, FrameKind, FragmentBuffer, decodeErrorPayload, encodeErrorPayload, readFrameHeader, writeFrameHeader } from "./framing.js";
import { ECDSA_P256, decodeIdentityPayload, encodeIdentityPayload, identityKeyId } from "./identity.js";
import { MemberEvent } from "./member.js";
import { SEND_HIGH_WATER } from "./messenger.js";
import { MAX_ROUTE_FRAME_SIZE, ROUTE_FORWARDED, ROUTE_SIGNATURE_BYTES, RouteFrameType, UnreachableReason, decodeRouteFrame, encodeRouteFrame, routedAckTranscript, routedDataTranscript, routedIdentityTranscript, textThenBytes, verifySignature } from "./route-frame.js";
/** @import { FrameHeader } from "./framing.js" */
/** @import { VerifiedIdentity } from "./identity.js" */
/** @import { Messenger } from "./messenger.js" */
/** @import { PeerLink } from "./link.js" */
/** @import { RouteFrame } from "./route-frame.js" */
/** @import { Group } from "./group.js" */

/** Frames a relay holds for one destination while that channel is full, in bytes; beyond, it answers NoRoute. */
const MAX_FORWARD_BACKLOG = 16 * 1024 * 1024;

/**
 * Relayed members' settings (`GroupOptions.relaying`).
 * @typedef {object} RelayingOptions
 * @property {boolean} [enabled] use the extension at all: probe for routes, answer probes, take relayed messages (default true; false: route frames are dropped as by a client without the extension)
 * @property {boolean} [forward] forward route frames between other members (default true; false: this member answers every request to forward with Unreachable "no route", but is still reached through others)
 * @property {number} [probeTimeout] how long a route search waits for replies, ms (default 2 000)
 * @property {number} [retryInterval] while a member has neither a direct connection nor a route, search again this often, ms (default 5 000)
 */

/**
 * @param {RelayingOptions|null|undefined} options
 * @returns {Required<RelayingOptions>}
 */
export function resolveRelaying(options) {
  const result = { enabled: true, forward: true, probeTimeout: 2000, retryInterval: 5000, ...options };
  if (typeof result.enabled !== "boolean" || typeof result.forward !== "boolean") throw new TypeError("relaying.enabled and relaying.forward are booleans.");
  if (!(result.probeTimeout > 0) || !(result.retryInterval > 0)) throw new RangeError("relaying.probeTimeout and relaying.retryInterval must be positive.");
  return result;
}

/**
 * A message being sent through a relay.
 * @typedef {object} OutgoingMessage
 * @property {number} seq
 * @property {number} kind
 * @property {number} messageId
 * @property {Uint8Array} bytes
 * @property {Uint8Array|null} signature computed once, before the first send
 * @property {number} sentEpoch the route epoch it was (last) sent on; -1: not yet
 * @property {boolean} settled acknowledged or failed
 * @property {Deferred} done
 * @property {ReturnType<typeof setTimeout>|undefined} timer
 */

/**
 * The most delivered relayed seqs remembered above the highest contiguous one, per origin (as P2p.Core's
 * RelayedInbox.MaxRemembered): a gap that old is a message its sender gave up on, and is forgotten.
 */
export const MAX_REMEMBERED_SEQS = 4096;

/**
 * What this member knows about relaying with one other member: the route to it, the messages on their way, the
 * messages coming from it. Internal (exported for tests).
 */
export class RouteState {
  /** @param {string} id the other member */
  constructor(id) {
    this.id = id;
    /** The relay (a directly connected member) the route goes through, or null. @type {string|null} */
    this.relay = null;
    /** Bumped whenever the route changes: messages not acknowledged on the new route are sent again. */
    this.epoch = 0;
    /** The route search under way. @type {{id: number, timer: ReturnType<typeof setTimeout>|undefined, decided: boolean}|null} */
    this.probe = null;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.retryTimer = undefined;
    /** The member's identity, accepted from its routed proof: relayed messages and acks from it must be signed with it. @type {VerifiedIdentity|null} */
    this.identity = null;
    /** Relays through which the member got a message whose signature did not verify: not probed through again. @type {Set<string>} */
    this.suspects = new Set();
    /** The member refused this member's identity (or this member refused the member's) in the last route search. @type {GroupError|null} */
    this.refusal = null;
    // ---- sending ----
    this.nextSeq = 1;
    this.nextMessageId = 0;
    /** Messages not acknowledged yet, in seq order. @type {OutgoingMessage[]} */
    this.outbox = [];
    this.pumping = false;
    /** Relayed requests waiting for their reply, by request id. @type {Map<number, Deferred>} */
    this.pendingRequests = new Map();
    // ---- receiving ----
    /** The message being received (one per origin). @type {{seq: number, kind: number, messageId: number, totalLength: number, buffer: FragmentBuffer|null, received: number}|null} */
    this.partial = null;
    /** Every seq up to this one was delivered... */
    this.deliveredThrough = 0;
    /** ...and these above it. @type {Set<number>} */
    this.deliveredAbove = new Set();
    /** Completed messages are checked and delivered one after another, in arrival order. @type {Promise<void>} */
    this.inbound = Promise.resolve();
  }

  /** @param {number} seq */
  wasDelivered(seq) { return seq <= this.deliveredThrough || this.deliveredAbove.has(seq); }

  /** @param {number} seq */
  markDelivered(seq) {
    if (this.wasDelivered(seq)) return;
    this.deliveredAbove.add(seq);
    while (this.deliveredAbove.delete(this.deliveredThrough + 1)) this.deliveredThrough++;
    if (this.deliveredAbove.size > MAX_REMEMBERED_SEQS) {
      // A sender that skips seqs would otherwise grow the set without bound: forget the oldest gap.
      let lowest = Infinity;
      for (const s of this.deliveredAbove) if (s < lowest) lowest = s;
      this.deliveredThrough = lowest;
      for (const s of this.deliveredAbove) if (s <= lowest) this.deliveredAbove.delete(s);
      while (this.deliveredAbove.delete(this.deliveredThrough + 1)) this.deliveredThrough++;
    }
  }
}

/**
 * One group's relaying: the relay role (forwarding route frames between two members connected to this one) and the
 * endpoint role (finding a route to a member whose direct connection failed, sending and receiving through it).
 */
export class Router {
  /** @param {Group} group @param {Required<RelayingOptions>} options */
  constructor(group, options) {
    this._group = group;
    this.options = options;
    /** @type {Map<string, RouteState>} */
    this._states = new Map();
    /** Frames waiting for room in a destination's channel, by destination: they keep their arrival order. @type {Map<string, {frames: {bytes: Uint8Array, from: string, reference: number}[], bytes: number}>} */
    this._forwarding = new Map();
    this._nextProbeId = (Math.random() * 0x100000000) >>> 0;
    this._closed = false;
  }

  get _log() { return this._group._logger; }

  // ---- what the rest of the client asks ----

  /** The relay a member is reached through, or null (no route, or the extension is off). @param {string} memberId */
  relayOf(memberId) {
    const relay = this._states.get(memberId)?.relay ?? null;
    return relay !== null && this._messengerOf(relay) !== null ? relay : null;
  }

  /** True when messages to the member can go through a relay now. @param {string} memberId */
  hasRoute(memberId) { return this.relayOf(memberId) !== null; }

  /** True while a route search for the member is under way. @param {string} memberId */
  isProbing(memberId) { return (this._states.get(memberId)?.probe ?? null) !== null; }

  /** Why the last route search for the member found no route, when the member refused this one's identity. @param {string} memberId */
  refusalOf(memberId) { return this._states.get(memberId)?.refusal ?? null; }

  /**
   * Sends one message to `memberId` through its relay; resolves when the member acknowledged it. It is sent again,
   * whole and with the same seq, when the route changes before that; it fails after the group's request timeout.
   * @param {string} memberId @param {number} kind a `FrameKind` @param {number|null} messageId null: a new one
   * @param {Uint8Array} bytes @param {AbortSignal|null} signal
   * @returns {Promise<void>}
   */
  send(memberId, kind, messageId, bytes, signal) {
    if (this._closed) return Promise.reject(new GroupError(GroupErrorCode.GroupClosed, `This member left group ${this._group.id}.`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const state = this._state(memberId);
    if (messageId === null) messageId = state.nextMessageId = (state.nextMessageId + 1) >>> 0;
    /** @type {OutgoingMessage} */
    const message = { seq: state.nextSeq, kind, messageId, bytes, signature: null, sentEpoch: -1, settled: false, done: new Deferred(), timer: undefined };
    state.nextSeq = (state.nextSeq + 1) >>> 0;
    const timeout = this._group.options.requestTimeout;
    message.timer = setTimeout(() => this._settle(state, message,
      new GroupError(GroupErrorCode.Timeout, `Member ${memberId} did not acknowledge a relayed message within ${formatDuration(timeout)}.`)), timeout);
    if (signal) {
      const onAbort = () => this._settle(state, message, signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      message.done.promise.then(() => signal.removeEventListener("abort", onAbort), () => signal.removeEventListener("abort", onAbort));
    }
    state.outbox.push(message);
    if (state.relay === null) this._probe(state);
    else void this._pump(state);
    return message.done.promise;
  }

  /**
   * A relayed request: resolves with the relayed reply (rejects with the relayed error, or a local one).
   * @param {string} memberId @param {Uint8Array} bytes @param {AbortSignal} signal
   * @returns {Promise<Uint8Array>}
   */
  async request(memberId, bytes, signal) {
    const state = this._state(memberId);
    const id = state.nextMessageId = (state.nextMessageId + 1) >>> 0;
    const reply = new Deferred();
    state.pendingRequests.set(id, reply);
    try {
      this.send(memberId, FrameKind.Request, id, bytes, signal).catch((error) => reply.reject(error));
      return await abortable(reply.promise, signal);
    } finally {
      if (state.pendingRequests.get(id) === reply) state.pendingRequests.delete(id);
    }
  }

  /**
   * The direct connection to `link`'s member changed state: a failed one starts a route search; one that is up
   * again makes searches for others worth a try (it may relay); one that went down breaks the routes through it.
   * @param {PeerLink} link @param {string} previous the previous direct state
   */
  onDirectStateChanged(link, previous) {
    if (!this.options.enabled || this._closed) return;
    const id = link.member.id;
    const wasUp = previous === PeerState.Connected || previous === PeerState.Interrupted;
    if (wasUp && !link.isDirectlyConnected) {
      for (const state of this._states.values()) {
        if (state.relay === id) this._routeBroken(state, `the connection to relay ${id} is ${link._directState}`);
      }
      this._dropForwarding(id);
    }
    if (link._directState === PeerState.Failed) {
      const state = this._state(id);
      if (state.relay === null) this._probe(state);
    } else if (link._directState === PeerState.Connected && !wasUp) {
      const own = this._states.get(id);
      if (own) clearTimeout(own.retryTimer);
      for (const other of this._group._links.values()) {
        if (other === link || other.isDirectlyConnected || other._directState !== PeerState.Failed) continue;
        const state = this._state(other.member.id);
        if (state.relay === null && state.probe === null) this._probe(state);
      }
    }
  }

  /** A member left: its routes, messages and forwarding are gone; routes through it break. @param {string} memberId @param {GroupError} reason */
  onMemberLeft(memberId, reason) {
    const state = this._states.get(memberId);
    if (state) {
      this._states.delete(memberId);
      this._failAll(state, reason);
      clearTimeout(state.retryTimer);
      if (state.probe) clearTimeout(state.probe.timer);
    }
    this._dropForwarding(memberId);
    for (const other of this._states.values()) {
      if (other.relay === memberId) this._routeBroken(other, `relay ${memberId} left the group`);
    }
  }

  /** This member left the group. @param {GroupError} reason */
  shutdown(reason) {
    this._closed = true;
    for (const state of this._states.values()) {
      this._failAll(state, reason);
      clearTimeout(state.retryTimer);
      if (state.probe) clearTimeout(state.probe.timer);
    }
    this._states.clear();
    this._forwarding.clear();
  }

  /**
   * A route frame arrived on the direct connection to `link`'s member.
   * @param {PeerLink} link @param {Uint8Array} bytes
   */
  onFrame(link, bytes) {
    const from = link.member.id;
    if (!this.options.enabled) {
      this._log.warn(`Dropped a route frame from member ${from}: relaying is off (relaying.enabled)`);
      return;
    }
    if (bytes.length > MAX_ROUTE_FRAME_SIZE) {
      this._log.warn(`Dropped a route frame of ${bytes.length} bytes from member ${from}: larger than ${MAX_ROUTE_FRAME_SIZE}`);
      return;
    }
    let frame;
    try {
      frame = decodeRouteFrame(bytes);
    } catch (error) {
      this._log.warn(`Dropped a malformed route frame from member ${from} (${bytes.length} bytes): ${messageOf(error)}`);
      return;
    }
    if (!frame.forwarded) {
      this._forward(link, frame, bytes);
      return;
    }
    if (frame.destination !== this._group.localId) {
      this._log.warn(`Dropped a forwarded route frame from member ${from} for ${frame.destination}: forwarded frames are never forwarded again`);
      return;
    }
    switch (frame.type) {
      case RouteFrameType.Data: this._onData(link, frame); break;
      case RouteFrameType.Ack: void this._onAck(frame); break;
      case RouteFrameType.Probe: void this._onProbe(link, frame); break;
      case RouteFrameType.ProbeReply: void this._onProbeReply(link, frame); break;
      default: this._onUnreachable(link, frame); break;
    }
  }

  // ---- the relay role ----

  /**
   * First hop: `link`'s member asks this member to pass a frame on. Forwarded (same bytes, Forwarded set) to a
   * directly connected destination, in arrival order; otherwise answered with Unreachable "no route".
   * @param {PeerLink} link @param {RouteFrame} frame @param {Uint8Array} bytes
   */
  _forward(link, frame, bytes) {
    const group = this._group;
    const from = link.member.id;
    if (frame.origin !== from) {
      this._log.warn(`Dropped a route frame from member ${from} that claims to be from ${frame.origin}: at the first hop a member speaks only for itself`);
      return;
    }
    if (frame.destination === from || frame.destination === group.localId) {
      this._log.warn(`Dropped a route frame from member ${from} for ${frame.destination}: not a frame to forward`);
      return;
    }
    const reference = frame.type === RouteFrameType.Data || frame.type === RouteFrameType.Ack ? frame.seq ?? 0
      : frame.type === RouteFrameType.Probe || frame.type === RouteFrameType.ProbeReply ? frame.probeId ?? 0 : 0;
    const noRoute = (/** @type {string} */ why) => {
      this._log.debug(`Cannot forward a route frame from member ${from} to ${frame.destination}: ${why}`);
      this._sendTo(from, { type: RouteFrameType.Unreachable, forwarded: true, origin: frame.destination, destination: from, reference, reason: UnreachableReason.NoRoute });
    };
    if (!this.options.forward) return noRoute("forwarding is off (relaying.forward)");
    const messenger = this._messengerOf(frame.destination);
    if (messenger === null) return noRoute("no connection to it");
    if (bytes.length > messenger.remoteMaxMessageSize) return noRoute(`the frame (${bytes.length} bytes) exceeds its maximum message size`);
    /** @type {Uint8Array} */
    let copy = bytes.slice();
    copy[2] |= ROUTE_FORWARDED;
    if (group._forwardHook) copy = group._forwardHook(copy);
    let queue = this._forwarding.get(frame.destination);
    if (queue === undefined && messenger._channel.bufferedAmount <= SEND_HIGH_WATER) {
      try {
        messenger._sendFrame(copy);
      } catch (error) {
        noRoute(messageOf(error));
      }
      return;
    }
    const start = queue === undefined;
    if (queue === undefined) {
      queue = { frames: [], bytes: 0 };
      this._forwarding.set(frame.destination, queue);
    }
    if (queue.bytes + copy.length > MAX_FORWARD_BACKLOG) return noRoute("too much is waiting for its channel");
    queue.frames.push({ bytes: copy, from, reference });
    queue.bytes += copy.length;
    if (start) void this._pumpForwarding(frame.destination, queue);
  }

  /** Sends the frames waiting for a destination's channel as it drains. @param {string} destination @param {{frames: {bytes: Uint8Array, from: string, reference: number}[], bytes: number}} queue */
  async _pumpForwarding(destination, queue) {
    try {
      while (queue.frames.length > 0 && this._forwarding.get(destination) === queue) {
        const messenger = this._messengerOf(destination);
        if (messenger === null) throw new Error("no connection to it");
        await messenger._waitForRoom(null);
        if (this._forwarding.get(destination) !== queue) return;
        const next = /** @type {{bytes: Uint8Array, from: string, reference: number}} */ (queue.frames.shift());
        queue.bytes -= next.bytes.length;
        messenger._sendFrame(next.bytes);
      }
    } catch (error) {
      for (const waiting of queue.frames) {
        this._sendTo(waiting.from, { type: RouteFrameType.Unreachable, forwarded: true, origin: destination, destination: waiting.from, reference: waiting.reference, reason: UnreachableReason.NoRoute });
      }
      this._log.debug(`Stopped forwarding to member ${destination}: ${messageOf(error)}`);
    } finally {
      if (this._forwarding.get(destination) === queue) this._forwarding.delete(destination);
    }
  }

  /** @param {string} destination */
  _dropForwarding(destination) {
    const queue = this._forwarding.get(destination);
    if (queue === undefined) return;
    this._forwarding.delete(destination);
    for (const waiting of queue.frames) {
      this._sendTo(waiting.from, { type: RouteFrameType.Unreachable, forwarded: true, origin: destination, destination: waiting.from, reference: waiting.reference, reason: UnreachableReason.NoRoute });
    }
  }

  // ---- finding a route ----

  /**
   * Searches a route to a member: a Probe to every directly connected member (but it); the first valid ProbeReply
   * within the probe timeout wins. Without one, searches again after the retry interval while still needed.
   * @param {RouteState} state
   */
  _probe(state) {
    const group = this._group;
    if (!this.options.enabled || this._closed || state.probe !== null || !group._links.has(state.id)) return;
    clearTimeout(state.retryTimer);
    state.retryTimer = undefined;
    const relays = [...group._links.values()]
      .filter((l) => l.member.id !== state.id && l.messenger() !== null && !state.suspects.has(l.member.id)).map((l) => l.member.id);
    const probe = { id: this._nextProbeId = (this._nextProbeId + 1) >>> 0, timer: /** @type {ReturnType<typeof setTimeout>|undefined} */ (undefined), decided: false };
    state.probe = probe;
    if (relays.length === 0) {
      this._log.debug(`No member to relay to ${state.id} through`);
      this._probeEnded(state, probe);
      return;
    }
    this._log.info(`Looking for a route to member ${state.id} through ${relays.length} member(s)`);
    probe.timer = setTimeout(() => this._probeEnded(state, probe), this.options.probeTimeout);
    void (async () => {
      const proof = await this._proof(state.id);
      if (state.probe !== probe) return;
      for (const relay of relays) {
        this._sendTo(relay, { type: RouteFrameType.Probe, forwarded: false, origin: group.localId, destination: state.id, probeId: probe.id, proof });
      }
    })().catch((error) => this._log.warn(`Could not probe for a route to member ${state.id}: ${messageOf(error)}`));
  }

  /** A route search is over (won, timed out, refused): without a route, search again later. @param {RouteState} state @param {{id: number, timer: any, decided: boolean}} probe */
  _probeEnded(state, probe) {
    if (state.probe !== probe) return;
    clearTimeout(probe.timer);
    state.probe = null;
    const link = this._group._links.get(state.id);
    if (!link || this._closed) return;
    if (state.relay === null && (!link.isDirectlyConnected || state.outbox.length > 0)) {
      this._log.debug(`No route to member ${state.id}; searching again in ${formatDuration(this.options.retryInterval)}`);
      clearTimeout(state.retryTimer);
      state.retryTimer = setTimeout(() => this._probe(state), this.options.retryInterval);
    }
    link.notifyChanged();
  }

  /** Uses `relay` for the route to the member (a new relay: messages not acknowledged are sent again). @param {RouteState} state @param {string} relay */
  _adopt(state, relay) {
    state.refusal = null;
    clearTimeout(state.retryTimer);
    state.retryTimer = undefined;
    if (state.relay !== relay) {
      state.relay = relay;
      state.epoch++;
      this._log.info(`Member ${state.id} is reached through member ${relay}`);
    }
    this._group._links.get(state.id)?.publishState();
    void this._pump(state);
  }

  /** The route through `state.relay` no longer works: search another (messages wait, and are sent again on it). @param {RouteState} state @param {string} why */
  _routeBroken(state, why) {
    if (state.relay === null) return;
    this._log.info(`The route to member ${state.id} through ${state.relay} broke (${why}); looking for another`);
    state.relay = null;
    state.epoch++;
    const link = this._group._links.get(state.id);
    link?.publishState();
    if (link && (!link.isDirectlyConnected || state.outbox.length > 0)) this._probe(state);
  }

  /** This member's routed identity proof for `peerId` (empty without a key). @param {string} peerId */
  async _proof(peerId) {
    const group = this._group;
    const settings = group._identity;
    if (!settings.key) return EMPTY;
    const signature = await settings.key.sign(encoder.encode(routedIdentityTranscript({ groupId: group.id, name: settings.name, signerId: group.localId, peerId })));
    return encodeIdentityPayload({ name: settings.name, publicKey: settings.key.spki, signature });
  }

  /**
   * Checks a member's routed identity proof: verified over the routed transcript and accepted by the trust policy
   * (null: none, allowed when this member does not require one). Throws an `IdentityRejected` GroupError.
   * @param {string} memberId @param {Uint8Array} proof
   * @returns {Promise<VerifiedIdentity|null>}
   */
  async _checkProof(memberId, proof) {
    const group = this._group;
    if (proof.length === 0 || (globalThis.crypto?.subtle === undefined && !group._identity.required)) {
      if (group._identity.required) {
        throw identityError(IdentityFailureReason.Missing, `Member ${memberId} proved no identity in its routed probe; this member requires one (identity.requirePeerIdentity).`);
      }
      return null;
    }
    const { name, publicKey, signature } = decodeIdentityPayload(proof);
    let key;
    try {
      key = await crypto.subtle.importKey("spki", /** @type {Uint8Array<ArrayBuffer>} */ (publicKey), ECDSA_P256, true, ["verify"]);
    } catch (error) {
      throw identityError(IdentityFailureReason.Malformed, `Malformed routed identity from member ${memberId}: the public key is not an ECDSA P-256 SubjectPublicKeyInfo (${messageOf(error)}).`);
    }
    const transcript = encoder.encode(routedIdentityTranscript({ groupId: group.id, name, signerId: memberId, peerId: group.localId }));
    if (!(await verifySignature(key, signature, transcript))) {
      throw identityError(IdentityFailureReason.BadSignature, `Bad routed identity signature from member ${memberId} for "${name}".`);
    }
    const identity = { name, keyId: await identityKeyId(publicKey), publicKey, key };
    let trusted = false;
    let reason = "";
    try {
      trusted = (await group._identity.trust({ ...identity, memberId, groupId: group.id })) === true;
    } catch (error) {
      reason = `: ${messageOf(error)}`;
    }
    if (!trusted) {
      throw identityError(IdentityFailureReason.Refused, `Member ${memberId}'s identity "${name}" (key id ${identity.keyId}) was refused by the trust policy${reason}.`);
    }
    return identity;
  }

  /** Remembers a member's accepted routed identity. @param {RouteState} state @param {VerifiedIdentity|null} identity */
  _acceptIdentity(state, identity) {
    state.identity = identity;
    const member = this._group._links.get(state.id)?.member;
    if (!member) return;
    const changed = identity !== null && member._routedIdentity?.keyId !== identity.keyId;
    member._routedIdentity = identity;
    if (changed) this._group._post(new MemberEvent("memberidentified", member));
  }

  /** A forwarded Probe for this member: answer with a ProbeReply, or Unreachable. @param {PeerLink} link @param {RouteFrame} frame */
  async _onProbe(link, frame) {
    const group = this._group;
    const origin = frame.origin;
    const answer = (/** @type {RouteFrame} */ f) => this._sendOn(link, f);
    if (!group._links.has(origin)) {
      this._log.warn(`Refused a routed probe from ${origin} (through ${link.member.id}): not a member of group ${group.id} as far as this member knows`);
      answer({ type: RouteFrameType.Unreachable, forwarded: false, origin: group.localId, destination: origin, reference: frame.probeId ?? 0, reason: UnreachableReason.NotMember });
      return;
    }
    let identity;
    try {
      identity = await this._checkProof(origin, frame.proof ?? EMPTY);
    } catch (error) {
      this._log.warn(`Refused a routed probe from member ${origin} (through ${link.member.id}): ${messageOf(error)}`);
      answer({ type: RouteFrameType.Unreachable, forwarded: false, origin: group.localId, destination: origin, reference: frame.probeId ?? 0, reason: UnreachableReason.Refused });
      return;
    }
    if (this._closed || !group._links.has(origin)) return;
    const state = this._state(origin);
    this._acceptIdentity(state, identity);
    answer({ type: RouteFrameType.ProbeReply, forwarded: false, origin: group.localId, destination: origin, probeId: frame.probeId ?? 0, proof: await this._proof(origin) });
    // It looks for a route to this member, so this member will need one back (for replies): look now. (Not just the
    // way the probe came: this member's own probe is what tells whether the member accepts this member's identity.)
    const peer = group._links.get(origin);
    if (peer && !peer.isDirectlyConnected && state.relay === null) this._probe(state);
  }

  /** A forwarded ProbeReply: the first valid one for the current probe sets the route. @param {PeerLink} link @param {RouteFrame} frame */
  async _onProbeReply(link, frame) {
    const state = this._states.get(frame.origin);
    const probe = state?.probe ?? null;
    if (!state || probe === null || probe.id !== frame.probeId || probe.decided) {
      this._log.debug(`Ignored a late or unknown probe reply from ${frame.origin} (through ${link.member.id})`);
      return;
    }
    let identity;
    try {
      identity = await this._checkProof(frame.origin, frame.proof ?? EMPTY);
    } catch (error) {
      this._log.warn(`Not using the route to member ${frame.origin} through ${link.member.id}: ${messageOf(error)}`);
      if (error instanceof GroupError) this._refused(state, identityError(IdentityFailureReason.Refused, `Member ${frame.origin}'s identity was not accepted through relay ${link.member.id}: ${error.message}`, { cause: error }));
      return;
    }
    if (probe.decided || this._states.get(frame.origin) !== state || this._messengerOf(link.member.id) === null) return;
    probe.decided = true;
    this._acceptIdentity(state, identity);
    this._adopt(state, link.member.id);
    this._probeEnded(state, probe);
  }

  /** @param {PeerLink} link @param {RouteFrame} frame */
  _onUnreachable(link, frame) {
    const state = this._states.get(frame.origin);
    if (!state) return;
    const reference = frame.reference ?? 0;
    const aboutProbe = state.probe !== null && state.probe.id === reference;
    const fromRelay = state.relay === link.member.id;
    switch (frame.reason) {
      case UnreachableReason.NoRoute:
      case UnreachableReason.BadSignature:
      case UnreachableReason.NotMember:
        this._log.debug(`Member ${link.member.id} reports member ${frame.origin} unreachable (reason ${frame.reason}, reference ${reference})`);
        if (frame.reason === UnreachableReason.BadSignature) state.suspects.add(link.member.id); // altered by the relay?
        if (!aboutProbe && fromRelay) this._routeBroken(state, frame.reason === UnreachableReason.BadSignature ? "a relayed message arrived with a bad signature" : "the relay cannot reach it");
        return;
      default: {
        this._log.warn(`Member ${frame.origin} refused this member's identity (routed, through ${link.member.id})`);
        const error = identityError(IdentityFailureReason.Refused, `Member ${frame.origin} refused this member's identity for relayed messages (or requires one this member does not have).`);
        this._refused(state, error);
        this._failAll(state, error);
        if (state.relay !== null) {
          state.relay = null;
          state.epoch++;
          this._group._links.get(state.id)?.publishState();
        }
        if (state.probe) this._probeEnded(state, state.probe);
      }
    }
  }

  /** A route search met a refusal (either way): remembered as the reason the member is unreachable. @param {RouteState} state @param {GroupError} error */
  _refused(state, error) {
    state.refusal = error;
    const member = this._group._links.get(state.id)?.member;
    if (member && member.state !== PeerState.Connected) member._lastError = error;
  }

  // ---- sending ----

  /** Sends the outbox through the current route, one message at a time (its fragments contiguous). @param {RouteState} state */
  async _pump(state) {
    if (state.pumping) return;
    state.pumping = true;
    try {
      while (!this._closed) {
        const relay = state.relay;
        const messenger = relay === null ? null : this._messengerOf(relay);
        if (relay === null || messenger === null) return;
        const next = state.outbox.find((m) => !m.settled && m.sentEpoch !== state.epoch);
        if (!next) return;
        const epoch = state.epoch;
        next.sentEpoch = epoch;
        try {
          await this._sendMessage(state, next, messenger, epoch);
        } catch (error) {
          if (state.epoch === epoch && state.relay === relay) this._routeBroken(state, messageOf(error));
        }
      }
    } finally {
      state.pumping = false;
    }
  }

  /** @param {RouteState} state @param {OutgoingMessage} message @param {Messenger} messenger @param {number} epoch */
  async _sendMessage(state, message, messenger, epoch) {
    const group = this._group;
    const key = group._identity.key;
    if (key && message.signature === null) {
      const transcript = routedDataTranscript({ groupId: group.id, origin: group.localId, destination: state.id, seq: message.seq, kind: message.kind, messageId: message.messageId });
      message.signature = await key.sign(textThenBytes(transcript, message.bytes));
    }
    const limit = Math.min(MAX_ROUTE_FRAME_SIZE, messenger.remoteMaxMessageSize, group.options.maxFrameSize);
    const overhead = 4 + 1 + encoder.encode(group.localId).length + 1 + encoder.encode(state.id).length + 4 + 4 + 2 + ROUTE_SIGNATURE_BYTES + FRAME_HEADER_SIZE;
    const capacity = limit - overhead;
    if (capacity <= 0) throw new Error(`the relay's maximum message size (${limit} bytes) leaves no room for a fragment`);
    const total = message.bytes.length;
    let offset = 0;
    do {
      await messenger._waitForRoom(null);
      if (message.settled || state.epoch !== epoch || this._closed) return; // failed meanwhile, or another route took over
      const end = Math.min(offset + capacity, total);
      const final = end === total;
      const inner = new Uint8Array(FRAME_HEADER_SIZE + end - offset);
      writeFrameHeader(inner, { kind: message.kind, final, messageId: message.messageId, totalLength: total });
      inner.set(message.bytes.subarray(offset, end), FRAME_HEADER_SIZE);
      messenger._sendFrame(encodeRouteFrame({
        type: RouteFrameType.Data, forwarded: false, origin: group.localId, destination: state.id,
        seq: message.seq, offset, signature: final ? message.signature ?? EMPTY : EMPTY, frame: inner,
      }));
      offset = end;
    } while (offset < total);
  }

  /** Acknowledged or failed (error): the message leaves the outbox. @param {RouteState} state @param {OutgoingMessage} message @param {unknown} [error] */
  _settle(state, message, error) {
    if (message.settled) return;
    message.settled = true;
    clearTimeout(message.timer);
    const i = state.outbox.indexOf(message);
    if (i >= 0) state.outbox.splice(i, 1);
    if (error === undefined) message.done.resolve();
    else message.done.reject(error);
  }

  /** @param {RouteState} state @param {unknown} error */
  _failAll(state, error) {
    for (const message of [...state.outbox]) this._settle(state, message, error);
    for (const reply of state.pendingRequests.values()) reply.reject(error);
    state.pendingRequests.clear();
  }

  /** A forwarded Ack: the message is done (its signature checked when the member's identity was accepted). @param {RouteFrame} frame */
  async _onAck(frame) {
    const state = this._states.get(frame.origin);
    const message = state?.outbox.find((m) => m.seq === frame.seq);
    if (!state || !message) {
      this._log.debug(`Ignored an ack from member ${frame.origin} for seq ${frame.seq}: nothing waits for it`);
      return;
    }
    if (state.identity) {
      const transcript = routedAckTranscript({ groupId: this._group.id, origin: frame.origin, destination: this._group.localId, seq: frame.seq ?? 0 });
      if (!(await verifySignature(state.identity.key, frame.signature ?? EMPTY, encoder.encode(transcript)))) {
        this._log.warn(`Ignored an ack from member ${frame.origin} for seq ${frame.seq}: its signature does not verify`);
        return;
      }
    }
    this._settle(state, message);
  }

  // ---- receiving ----

  /** A forwarded Data frame: one partial message per origin; a complete one is checked, acknowledged and delivered. @param {PeerLink} link @param {RouteFrame} frame */
  _onData(link, frame) {
    const group = this._group;
    const origin = frame.origin;
    const offset = frame.offset ?? 0;
    const seq = frame.seq ?? 0;
    if (!group._links.has(origin)) {
      this._log.warn(`Dropped a relayed message from ${origin} (through ${link.member.id}): not a member of group ${group.id} as far as this member knows`);
      if (offset === 0) this._sendOn(link, { type: RouteFrameType.Unreachable, forwarded: false, origin: group.localId, destination: origin, reference: seq, reason: UnreachableReason.NotMember });
      return;
    }
    const state = this._state(origin);
    const inner = /** @type {Uint8Array} */ (frame.frame);
    const header = /** @type {FrameHeader} */ (readFrameHeader(inner));
    const fragment = inner.subarray(FRAME_HEADER_SIZE);
    let partial = state.partial;
    if (offset === 0) {
      if (partial !== null) this._log.debug(`Dropped a partly received relayed message from member ${origin} (seq ${partial.seq}): another one starts`);
      const tooLarge = header.totalLength > group.options.maxMessageSize;
      partial = { seq, kind: header.kind, messageId: header.messageId, totalLength: header.totalLength, buffer: tooLarge ? null : new FragmentBuffer(header.totalLength), received: 0 };
      state.partial = partial;
    } else if (partial === null || partial.seq !== seq || partial.kind !== header.kind || partial.messageId !== header.messageId
      || partial.totalLength !== header.totalLength || partial.received !== offset) {
      this._log.debug(`Dropped a relayed fragment from member ${origin} (seq ${seq}, offset ${offset}): it does not continue the message being received`);
      return;
    }
    if (offset + fragment.length > partial.totalLength || (partial.buffer !== null && !partial.buffer.append(fragment))) {
      state.partial = null;
      this._log.debug(`Dropped a relayed message from member ${origin} (seq ${seq}): its fragments go beyond its length`);
      return;
    }
    partial.received = offset + fragment.length;
    if (!header.final) return;
    state.partial = null;
    if (partial.received !== partial.totalLength) {
      this._log.debug(`Dropped a relayed message from member ${origin} (seq ${seq}): final at ${partial.received} of ${partial.totalLength} bytes`);
      return;
    }
    const complete = { ...partial, buffer: partial.buffer?.toMessage() ?? null, signature: frame.signature ?? EMPTY, link };
    state.inbound = state.inbound.then(() => this._onMessage(state, complete)).catch((error) =>
      this._log.warn(`A relayed message from member ${origin} could not be handled: ${messageOf(error)}`));
  }

  /**
   * A complete relayed message: dedup, identity, Ack (back through the relay it came through), then delivery as from
   * its origin with the same rules as on a direct connection.
   * @param {RouteState} state
   * @param {{seq: number, kind: number, messageId: number, totalLength: number, buffer: Uint8Array|null, signature: Uint8Array, link: PeerLink}} m
   */
  async _onMessage(state, m) {
    const group = this._group;
    const origin = state.id;
    const refuse = (/** @type {number} */ reason) =>
      this._sendOn(m.link, { type: RouteFrameType.Unreachable, forwarded: false, origin: group.localId, destination: origin, reference: m.seq, reason });
    if (state.wasDelivered(m.seq)) {
      this._log.debug(`Member ${origin}'s relayed message ${m.seq} arrived again (sent again after a route change); acknowledged again`);
      await this._ack(state, m.seq, m.link);
      return;
    }
    if (m.buffer !== null) {
      if (state.identity) {
        const transcript = routedDataTranscript({ groupId: group.id, origin, destination: group.localId, seq: m.seq, kind: m.kind, messageId: m.messageId });
        if (!(await verifySignature(state.identity.key, m.signature, textThenBytes(transcript, m.buffer)))) {
          this._log.warn(`Dropped a relayed message from member ${origin} (seq ${m.seq}, through ${m.link.member.id}): its signature does not verify`);
          refuse(UnreachableReason.BadSignature);
          return;
        }
      } else if (group._identity.required) {
        this._log.warn(`Dropped a relayed message from member ${origin} (seq ${m.seq}): it proved no identity and this member requires one`);
        refuse(UnreachableReason.Refused);
        return;
      }
    }
    if (this._closed || state.wasDelivered(m.seq)) return;
    state.markDelivered(m.seq);
    await this._ack(state, m.seq, m.link);
    const member = group._links.get(origin)?.member;
    if (!member) return;
    const respond = (/** @type {number} */ kind, /** @type {Uint8Array} */ payload) => this.send(origin, kind, m.messageId, payload, group._lifetime.signal);
    if (m.buffer === null) {
      this._log.warn(`Dropped a relayed message (kind ${m.kind}) of ${m.totalLength} bytes from member ${origin}: larger than the limit of ${group.options.maxMessageSize} bytes`);
      if (m.kind === FrameKind.Request) {
        respond(FrameKind.Error, encodeErrorPayload(GroupErrorCode.TooLarge, `The request (${m.totalLength} bytes) exceeds the receiver's limit of ${group.options.maxMessageSize} bytes.`)).catch(() => {});
      } else if (m.kind === FrameKind.Reply || m.kind === FrameKind.Error) {
        this._reply(state, m.messageId, new GroupError(GroupErrorCode.TooLarge, `The reply from member ${origin} (${m.totalLength} bytes) exceeds the limit of ${group.options.maxMessageSize} bytes.`));
      }
      return;
    }
    switch (m.kind) {
      case FrameKind.Broadcast:
        if (!mayBroadcast(group.capability, origin, group.ownerId)) {
          this._log.warn(`Dropped a relayed broadcast from member ${origin}: the group's capability ${group.capability} forbids it`);
          return;
        }
        group._enqueueBroadcast(member, m.buffer);
        return;
      case FrameKind.Request:
        if (!mayUnicast(group.capability, origin, group.localId, group.ownerId)) {
          this._log.warn(`Refused a relayed request from member ${origin}: the group's capability ${group.capability} forbids it`);
          respond(FrameKind.Error, encodeErrorPayload(GroupErrorCode.Forbidden, `The group's capability (${group.capability}) forbids unicast from ${origin} to ${group.localId}.`)).catch(() => {});
          return;
        }
        void group._answerRequest(member, m.buffer, respond, () => this._closed || !this._states.has(origin));
        return;
      case FrameKind.Reply:
        this._reply(state, m.messageId, null, m.buffer);
        return;
      default: {
        const { code, message: text } = decodeErrorPayload(m.buffer);
        this._reply(state, m.messageId, new GroupError(code, `Member ${origin} answered with an error (${codeName(GroupErrorCode, code)}): ${text}`, { remoteMemberId: origin, remoteMessage: text }));
      }
    }
  }

  /**
   * A relayed reply (or error) to a relayed request: it also shows the request arrived, so the request is done.
   * @param {RouteState} state @param {number} requestId @param {GroupError|null} error @param {Uint8Array} [reply]
   */
  _reply(state, requestId, error, reply) {
    const waiting = state.pendingRequests.get(requestId);
    if (!waiting) {
      this._log.debug(`Dropped a relayed reply from member ${state.id} to request ${requestId}, which no longer waits`);
      return;
    }
    state.pendingRequests.delete(requestId);
    const request = state.outbox.find((m) => m.kind === FrameKind.Request && m.messageId === requestId);
    if (request) this._settle(state, request);
    if (error) waiting.reject(error);
    else waiting.resolve(reply);
  }

  /** Acknowledges a relayed message on the connection it came through. @param {RouteState} state @param {number} seq @param {PeerLink} link */
  async _ack(state, seq, link) {
    const group = this._group;
    const key = group._identity.key;
    const signature = key
      ? await key.sign(encoder.encode(routedAckTranscript({ groupId: group.id, origin: group.localId, destination: state.id, seq })))
      : EMPTY;
    this._sendOn(link, { type: RouteFrameType.Ack, forwarded: false, origin: group.localId, destination: state.id, seq, signature });
  }

  // ---- helpers ----

  /** @param {string} memberId */
  _state(memberId) {
    let state = this._states.get(memberId);
    if (state === undefined) {
      state = new RouteState(memberId);
      this._states.set(memberId, state);
    }
    return state;
  }

  /** The live direct messenger of a member, or null. @param {string} memberId */
  _messengerOf(memberId) {
    return this._group._links.get(memberId)?.messenger() ?? null;
  }

  /** Sends a route frame to a directly connected member (dropped, logged, when that is not possible). @param {string} memberId @param {RouteFrame} frame */
  _sendTo(memberId, frame) {
    const messenger = this._messengerOf(memberId);
    if (messenger === null) {
      this._log.debug(`Could not send a route frame (type ${frame.type}) to member ${memberId}: not connected`);
      return;
    }
    try {
      messenger._sendFrame(encodeRouteFrame(frame));
    } catch (error) {
      this._log.debug(`Could not send a route frame (type ${frame.type}) to member ${memberId}: ${messageOf(error)}`);
    }
  }

  /** @param {PeerLink} link @param {RouteFrame} frame */
  _sendOn(link, frame) {
    this._sendTo(link.member.id, frame);
  }
}
