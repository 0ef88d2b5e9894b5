// @ts-check
/**
 * The connection to one member (P2p.Core's PeerLink and LinkAttempt): offers, answers, candidates, retries,
 * ICE restarts and the identity handshake.
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/link
 */

import { PeerState } from "./codes.js";
import { GroupError, GroupErrorCode, IdentityFailureReason, SignalingError, SignalingErrorCode, codeName, identityError } from "./errors.js";
import { Deferred, abortable, formatDuration, messageOf, timeoutError, truncate } from "./util.js";
import { FRAME_HEADER_SIZE, FrameKind } from "./framing.js";
import { encodeIdentityFrame, identityFramePayload, sdpFingerprint, signIdentityPayload, verifyIdentityPayload } from "./identity.js";
import { MemberEvent, MemberStateChangedEvent } from "./member.js";
import { Messenger } from "./messenger.js";
/** @import { Member } from "./member.js" */
/** @import { Group } from "./group.js" */

/** Early remote candidates kept per member until the remote description is set. */
const MAX_EARLY_CANDIDATES = 64;
/** The remote's max message size when its SDP has no a=max-message-size (RFC 8841 section 6.1). */
const DEFAULT_REMOTE_MAX_MESSAGE_SIZE = 65536;
/** One connection attempt to a member: its RTCPeerConnection, negotiation progress and, once open, its messenger. */
class Attempt {
  /** @param {number} number @param {"offerer"|"answerer"} role @param {RTCPeerConnection} pc @param {RTCDataChannel} channel */
  constructor(number, role, pc, channel) {
    this.number = number;
    this.role = role;
    this.pc = pc;
    this.channel = channel;
    /** Aborted when the attempt ends (superseded, failed, member removed, group left). */
    this.end = new AbortController();
    /** Resolved when the channel opens. */
    this.opened = new Deferred();
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.deadline = undefined;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.recovery = undefined;
    /** Offerer only: the offer relay was sent, so local candidates may follow it. */
    this.offerSent = false;
    /** An ICE restart offer is being made and its relay has not started: local candidates wait. */
    this.restartOfferPending = false;
    /** An ICE restart is under way. */
    this.restarting = false;
    /** Wakes a waiting recovery loop (the signaling connection came back). @type {Deferred} */
    this.nudge = new Deferred();
    /** Offerer only: local candidates gathered before the offer relay. @type {object[]} */
    this.heldLocalCandidates = [];
    this.remoteDescriptionSet = false;
    /** Serialises addIceCandidate calls (in arrival order). */
    this.candidateChain = Promise.resolve();
    this.connected = false;
    this.ended = false;
    /** @type {Messenger|null} */
    this.messenger = null;
    /** Frames received before the messenger (or the group, or the remote's identity) was ready. @type {any[]} */
    this.backlog = [];
    /** The identity handshake: "first" (the remote's first frame not seen yet), "verifying" (its Identity frame), "done". */
    this.identityGate = "first";
    /** This side's Identity frame went out (or this side has no key): the link may be reported connected. */
    this.identitySent = false;
    /** The mid of the local candidates (for the end-of-candidates relay). @type {string|null} */
    this.localMid = null;
    /** @type {number|null} */
    this.localMLineIndex = null;
  }
}

/**
 * This member's side of the connection to one other member: attempts (offering or answering), trickled
 * candidates, glare, failure, retry with back-off, and removal. Who offers: the member that joined later.
 */
export class PeerLink {
  /** @param {Group} group @param {Member} member @param {boolean} weOffer */
  constructor(group, member, weOffer) {
    this._group = group;
    this.member = member;
    /** This side makes the offers (the remote joined the group before this member). */
    this.weOffer = weOffer;
    /** @type {Attempt|null} */
    this._current = null;
    /** Remote candidates waiting for a remote description. @type {any[]} */
    this._early = [];
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this._timer = undefined;
    this._changed = new Deferred();
    this._attempts = 0;
    this._failures = 0;
    this._removed = false;
    /**
     * The state of the direct connection. The member's visible state is this one, except that a member whose direct
     * connection is not up but who is reachable through a relay is reported `relayed`.
     * @type {string}
     */
    this._directState = PeerState.Connecting;
  }

  get _log() { return this._group._logger; }

  /** True while the direct connection is up (connected, or interrupted and recovering). */
  get isDirectlyConnected() { return this._directState === PeerState.Connected || this._directState === PeerState.Interrupted; }

  get _remoteId() { return this.member.id; }

  /** Starts: offers when this side offers, otherwise waits (bounded) for the remote's offer. */
  start() {
    if (this.weOffer) {
      this._startOfferAttempt();
      return;
    }
    if (this._removed || this._current) return;
    const timeout = this._group._service._options.connectTimeout;
    this._armTimer(timeout, () => {
      if (this._removed || this._current || this._directState !== PeerState.Connecting) return;
      this._log.warn(`No offer from member ${this._remoteId} within ${formatDuration(timeout)}; it is reported failed until it offers`);
      this._setState(PeerState.Failed, timeoutError(`Member ${this._remoteId} sent no offer within ${formatDuration(timeout)}.`));
    });
  }

  /** The messenger of the live connection, or null. */
  messenger() {
    const current = this._current;
    const live = this._directState === PeerState.Connected || this._directState === PeerState.Interrupted;
    return current && current.connected && !current.ended && current.messenger && live ? current.messenger : null;
  }

  /**
   * Waits until the member is reachable: resolves with the direct connection's messenger, or with null when it is
   * reachable through a relay only (see "Relayed members"). Fails at once when the member is unreachable (its direct
   * connection failed and no route search is under way) or gone.
   * @param {AbortSignal} signal
   * @returns {Promise<Messenger|null>}
   */
  async waitForPath(signal) {
    const router = this._group._router;
    for (;;) {
      if (this._removed) throw new GroupError(GroupErrorCode.NotConnected, `Member ${this._remoteId} is no longer in the group.`);
      const messenger = this.messenger();
      if (messenger) return messenger;
      if (router.hasRoute(this._remoteId)) return null;
      if (this._directState === PeerState.Failed && !router.isProbing(this._remoteId)) {
        const refusal = router.refusalOf(this._remoteId);
        if (refusal) throw refusal;
        throw new GroupError(GroupErrorCode.NotConnected,
          `Member ${this._remoteId} is unreachable: ${this.member.lastError?.message ?? "the connection failed"}`, { cause: this.member.lastError });
      }
      await abortable(this._changed.promise, signal);
    }
  }

  /**
   * An offer relayed from the member: returns the answer (the relay's result). An ICE restart offer
   * (`"iceRestart": true`) for the live connection is answered on that connection.
   * @param {string} sdp @param {boolean} [iceRestart]
   */
  async onRemoteOffer(sdp, iceRestart = false) {
    const group = this._group;
    if (this._removed || group._closing) {
      throw new SignalingError(SignalingErrorCode.NotInGroup, `User ${group.localId} is not a member of group ${group.id}.`);
    }
    const current = this._current;
    if (iceRestart && current && current.connected && !current.ended) return this._answerRestart(current, sdp);
    if (current && !current.ended && !current.connected && current.role === "offerer") {
      if (group.localId < this._remoteId) {
        this._log.info(`Glare with member ${this._remoteId}: both offered; this side's id is lower, so it keeps its offer`);
        throw new SignalingError(SignalingErrorCode.Glare,
          `glare: ${group.localId} is offering to ${this._remoteId} too and keeps its offer (the lower user id wins).`);
      }
      this._log.info(`Glare with member ${this._remoteId}: both offered; the remote's id is lower, so this side answers its offer`);
    } else if (current && !current.ended && current.connected) {
      this._log.info(`Member ${this._remoteId} offered a new connection; it replaces the current one`);
    }

    let attempt;
    try {
      attempt = this._newAttempt("answerer");
    } catch (error) {
      this._log.error(`Could not create a connection for member ${this._remoteId}:`, error);
      throw new SignalingError(SignalingErrorCode.RelayHandlerFailed, `Could not answer the offer: ${messageOf(error)}`);
    }
    if (current && !current.ended) {
      current.ended = true;
      this._endAttempt(current, new GroupError(GroupErrorCode.ConnectionLost, `The connection to member ${this._remoteId} was replaced by a new one.`));
    }
    this._cancelTimer();
    this._current = attempt;
    this._setState(PeerState.Connecting, null);

    try {
      await attempt.pc.setRemoteDescription({ type: "offer", sdp });
      await this._onRemoteDescriptionSet(attempt);
      await attempt.pc.setLocalDescription(await attempt.pc.createAnswer());
      if (attempt.ended) throw new Error("The attempt was superseded.");
      const answerSdp = attempt.pc.localDescription?.sdp ?? "";
      this._log.debug(`Answered the offer of member ${this._remoteId} (attempt ${attempt.number})`);
      attempt.opened.promise.then(() => this._onConnected(attempt), (error) => this._onAttemptFailed(attempt, error));
      return { type: "answer", sdp: answerSdp };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this._onAttemptFailed(attempt, failure);
      throw new SignalingError(SignalingErrorCode.RelayHandlerFailed, `Could not answer the offer: ${messageOf(error)}`);
    }
  }

  /** A candidate relayed from the member: added now, or buffered until the remote description is set. @param {any} candidate */
  onRemoteCandidate(candidate) {
    if (this._removed) return;
    const current = this._current;
    if (current && !current.ended && current.remoteDescriptionSet) {
      this._addCandidate(current, candidate);
      return;
    }
    if (this._early.length >= MAX_EARLY_CANDIDATES) {
      this._early.shift();
      this._log.warn(`Too many early candidates from member ${this._remoteId}; dropped the oldest`);
    }
    this._early.push(candidate);
  }

  /**
   * Removes the link for good: ends the connection, fails pending requests with `reason`.
   * @param {GroupError} reason @param {boolean} raiseEvents
   */
  remove(reason, raiseEvents) {
    if (this._removed) return false;
    this._removed = true;
    this._cancelTimer();
    const current = this._current;
    this._current = null;
    this._early = [];
    this._setState(PeerState.Left, null, raiseEvents);
    if (current && !current.ended) {
      current.ended = true;
      this._endAttempt(current, reason);
    }
    return true;
  }

  /** The group became ready (owner and capability known): hand over frames that waited. */
  drainBacklog() {
    const current = this._current;
    if (current && current.messenger && !current.ended) this._drain(current);
  }

  _startOfferAttempt() {
    const group = this._group;
    if (this._removed || group._closing || (this._current && !this._current.ended)) return;
    this._cancelTimer();
    this._early = []; // anything buffered belongs to an older session of the remote
    let attempt;
    try {
      attempt = this._newAttempt("offerer");
    } catch (error) {
      this._failures++;
      this._log.error(`Could not create a connection to member ${this._remoteId}:`, error);
      this._setState(PeerState.Failed, error instanceof Error ? error : new Error(String(error)));
      this._scheduleRetry();
      return;
    }
    this._current = attempt;
    this._setState(PeerState.Connecting, null);
    void this._runOffer(attempt);
  }

  /** @param {Attempt} attempt */
  async _runOffer(attempt) {
    const group = this._group;
    try {
      await attempt.pc.setLocalDescription(await attempt.pc.createOffer());
      if (attempt.ended) return;
      this._log.debug(`Offering to member ${this._remoteId} (attempt ${attempt.number})`);
      const offer = { type: "offer", sdp: attempt.pc.localDescription?.sdp ?? "" };
      const relay = group._signaling.relay(group.id, this._remoteId, offer, { signal: attempt.end.signal });
      // The offer is on the wire (WebSocket sends keep order): candidates may follow it now.
      attempt.offerSent = true;
      for (const candidate of attempt.heldLocalCandidates.splice(0)) this._relayCandidate(attempt, candidate);

      const result = await relay;
      if (attempt.ended) return;
      if (result === null || typeof result !== "object" || result.type !== "answer" || typeof result.sdp !== "string") {
        throw new Error(`Member ${this._remoteId} answered the offer with something that is not an answer: ${truncate(JSON.stringify(result) ?? "undefined")}`);
      }
      await attempt.pc.setRemoteDescription({ type: "answer", sdp: result.sdp });
      await this._onRemoteDescriptionSet(attempt);
      await attempt.opened.promise;
      await this._onConnected(attempt);
    } catch (error) {
      this._onAttemptFailed(attempt, error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** @param {"offerer"|"answerer"} role */
  _newAttempt(role) {
    const service = this._group._service;
    const pc = new RTCPeerConnection(service._rtcConfiguration);
    let channel;
    try {
      // docs/protocol.md, "Channel establishment": one pre-negotiated, reliable, ordered channel.
      channel = pc.createDataChannel("p2p", { negotiated: true, id: 0, ordered: true });
    } catch (error) {
      pc.close();
      throw error;
    }
    channel.binaryType = "arraybuffer";
    const attempt = new Attempt(++this._attempts, role, pc, channel);
    const timeout = service._options.connectTimeout;
    attempt.deadline = setTimeout(() => {
      if (attempt.connected) return;
      if (attempt.messenger && this._group._identity.required && attempt.identityGate !== "done") {
        this._onAttemptFailed(attempt, identityError(IdentityFailureReason.Missing,
          `Member ${this._remoteId} sent no Identity frame within ${formatDuration(timeout)}; this member requires a verified identity (identity.requirePeerIdentity).`));
        return;
      }
      this._onAttemptFailed(attempt, timeoutError(`No connection to member ${this._remoteId} within ${formatDuration(timeout)}.`));
    }, timeout);
    this.member._identity = null; // proved again over every connection
    pc.addEventListener("icecandidate", (event) => this._onLocalCandidate(attempt, event.candidate));
    pc.addEventListener("connectionstatechange", () => this._onConnectionState(attempt));
    channel.addEventListener("open", () => attempt.opened.resolve());
    channel.addEventListener("close", () =>
      this._onAttemptFailed(attempt, new GroupError(GroupErrorCode.ConnectionLost, `The channel to member ${this._remoteId} closed.`)));
    channel.addEventListener("message", (event) => this._onChannelMessage(attempt, event.data));
    return attempt;
  }

  /** @param {Attempt} attempt */
  async _onRemoteDescriptionSet(attempt) {
    if (attempt.ended) return;
    attempt.remoteDescriptionSet = true;
    const early = this._early;
    this._early = [];
    for (const candidate of early) this._addCandidate(attempt, candidate);
    await attempt.candidateChain;
  }

  /** @param {Attempt} attempt @param {any} candidate */
  _addCandidate(attempt, candidate) {
    /** @type {RTCIceCandidateInit} */
    const init = { candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? null, sdpMLineIndex: candidate.sdpMLineIndex ?? null };
    if (init.candidate !== "" && init.sdpMid === null && init.sdpMLineIndex === null) init.sdpMLineIndex = 0; // one m-line
    attempt.candidateChain = attempt.candidateChain.then(async () => {
      if (attempt.ended) return;
      try {
        await attempt.pc.addIceCandidate(init);
      } catch (error) {
        if (!attempt.ended) this._log.debug(`Member ${this._remoteId}'s candidate was not accepted: ${messageOf(error)}`);
      }
    });
  }

  /** @param {Attempt} attempt @param {RTCIceCandidate|null} candidate */
  _onLocalCandidate(attempt, candidate) {
    if (attempt.ended) return;
    let payload;
    if (candidate) {
      const filter = this._group._service._options.candidateFilter;
      if (filter && !filter(candidate)) {
        this._log.debug(`Not sending local candidate ${candidate.candidate} (filtered)`);
        return;
      }
      attempt.localMid = candidate.sdpMid;
      attempt.localMLineIndex = candidate.sdpMLineIndex;
      payload = { type: "candidate", candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex };
    } else {
      // Gathering is complete: an empty candidate ends the candidates.
      payload = { type: "candidate", candidate: "", sdpMid: attempt.localMid, sdpMLineIndex: attempt.localMLineIndex };
    }
    if ((attempt.role === "offerer" && !attempt.offerSent) || attempt.restartOfferPending) {
      attempt.heldLocalCandidates.push(payload);
      return;
    }
    this._relayCandidate(attempt, payload);
  }

  /** @param {Attempt} attempt @param {object} payload */
  _relayCandidate(attempt, payload) {
    const group = this._group;
    group._signaling.relay(group.id, this._remoteId, payload, { signal: attempt.end.signal }).catch((error) => {
      if (!attempt.ended) this._log.debug(`Relaying a candidate to member ${this._remoteId} failed: ${messageOf(error)}`);
    });
  }

  /** @param {Attempt} attempt */
  _onConnectionState(attempt) {
    if (attempt.ended) return;
    const state = attempt.pc.connectionState;
    switch (state) {
      case "connected":
        if (attempt.connected && this._directState === PeerState.Interrupted) {
          clearTimeout(attempt.recovery);
          attempt.recovery = undefined;
          this._log.info(`The connection to member ${this._remoteId} recovered`);
          this._setState(PeerState.Connected, null);
        }
        break;
      case "disconnected": {
        if (!attempt.connected || this._directState !== PeerState.Connected) return;
        const timeout = this._group._service._options.recoveryTimeout;
        this._log.warn(`The connection to member ${this._remoteId} was interrupted; restoring it (ICE restart) for up to ${formatDuration(timeout)}`);
        this._setState(PeerState.Interrupted, new GroupError(GroupErrorCode.ConnectionLost, `The connection to member ${this._remoteId} was interrupted.`));
        clearTimeout(attempt.recovery);
        attempt.recovery = setTimeout(() =>
          this._onAttemptFailed(attempt, timeoutError(`The connection to member ${this._remoteId} did not recover within ${formatDuration(timeout)}.`)), timeout);
        void this._recover(attempt);
        break;
      }
      case "failed":
      case "closed":
        this._onAttemptFailed(attempt, new GroupError(GroupErrorCode.ConnectionLost, `The connection to member ${this._remoteId} ${state === "failed" ? "failed" : "closed"}.`));
        break;
    }
  }

  /** Makes an interrupted link try to recover at once (the signaling connection came back). */
  nudgeRecovery() {
    const current = this._current;
    if (current && !current.ended && this._directState === PeerState.Interrupted) current.nudge.resolve();
  }

  /** The remote (the answering side of an interrupted link) asks this side to restart ICE. Returns whether it will. */
  onRestartRequested() {
    const current = this._current;
    if (!this.weOffer || !current || !current.connected || current.ended) return false;
    if (this._directState === PeerState.Interrupted) {
      current.nudge.resolve();
    } else {
      // Only the remote noticed (a one-way cut): one restart.
      this._restartOnce(current).catch((error) => this._log.debug(`The ICE restart member ${this._remoteId} asked for failed: ${messageOf(error)}`));
    }
    return true;
  }

  /** Restarts ICE (or asks the offering side to) until the link is connected again or the attempt ends. @param {Attempt} attempt */
  async _recover(attempt) {
    const interval = this._group._service._options.iceRestartInterval;
    while (!attempt.ended && this._current === attempt && this._directState === PeerState.Interrupted) {
      attempt.nudge = new Deferred();
      const nudge = attempt.nudge.promise;
      try {
        if (this.weOffer) {
          await this._restartOnce(attempt);
        } else {
          await this._group._signaling.relay(this._group.id, this._remoteId, { type: "restart" }, { signal: attempt.end.signal });
        }
      } catch (error) {
        if (attempt.ended) return;
        if (error instanceof SignalingError && error.code === SignalingErrorCode.TargetUnavailable) {
          this._log.warn(`Member ${this._remoteId} is interrupted and not connected to the signaling server either: it is reported failed`);
          this._onAttemptFailed(attempt, new GroupError(GroupErrorCode.ConnectionLost,
            `The connection to member ${this._remoteId} was interrupted and the member is not connected to the signaling server either (it may have crashed or lost its network).`,
            { cause: error }));
          return;
        }
        this._log.debug(`Restoring the connection to member ${this._remoteId} failed this time: ${messageOf(error)}`);
      }
      await Promise.race([nudge, new Promise((resolve) => setTimeout(resolve, interval))]);
    }
  }

  /** The offering side: one ICE restart of the live connection. @param {Attempt} attempt */
  async _restartOnce(attempt) {
    if (attempt.restarting || attempt.ended) return;
    attempt.restarting = true;
    try {
      attempt.restartOfferPending = true;
      attempt.remoteDescriptionSet = false; // the remote's new candidates wait for its answer
      await attempt.pc.setLocalDescription(await attempt.pc.createOffer({ iceRestart: true }));
      if (attempt.ended) return;
      this._log.info(`Restarting ICE with member ${this._remoteId} (attempt ${attempt.number})`);
      const offer = { type: "offer", sdp: attempt.pc.localDescription?.sdp ?? "", iceRestart: true };
      const relay = this._group._signaling.relay(this._group.id, this._remoteId, offer, { signal: attempt.end.signal });
      attempt.restartOfferPending = false;
      for (const candidate of attempt.heldLocalCandidates.splice(0)) this._relayCandidate(attempt, candidate);
      let result;
      try {
        result = await relay;
      } catch (error) {
        this._restoreRemoteDescription(attempt);
        throw error;
      }
      if (attempt.ended) return;
      if (result === null || typeof result !== "object" || result.type !== "answer" || typeof result.sdp !== "string") {
        this._restoreRemoteDescription(attempt);
        throw new Error(`Member ${this._remoteId} answered the ICE restart with something that is not an answer: ${truncate(JSON.stringify(result) ?? "undefined")}`);
      }
      await attempt.pc.setRemoteDescription({ type: "answer", sdp: result.sdp });
      await this._onRemoteDescriptionSet(attempt);
    } finally {
      attempt.restartOfferPending = false;
      attempt.restarting = false;
    }
  }

  /** The answering side: answers the remote's ICE restart offer on the live connection. @param {Attempt} attempt @param {string} sdp */
  async _answerRestart(attempt, sdp) {
    attempt.remoteDescriptionSet = false; // candidates of the new session wait for the new remote description
    try {
      await attempt.pc.setRemoteDescription({ type: "offer", sdp });
      await attempt.pc.setLocalDescription(await attempt.pc.createAnswer());
    } catch (error) {
      this._restoreRemoteDescription(attempt);
      this._log.warn(`Could not answer member ${this._remoteId}'s ICE restart: ${messageOf(error)}`);
      throw new SignalingError(SignalingErrorCode.RelayHandlerFailed, `Could not answer the ICE restart: ${messageOf(error)}`);
    }
    await this._onRemoteDescriptionSet(attempt);
    this._log.info(`Answered member ${this._remoteId}'s ICE restart (attempt ${attempt.number})`);
    return { type: "answer", sdp: attempt.pc.localDescription?.sdp ?? "" };
  }

  /** A restart that did not complete: the old remote description still stands. @param {Attempt} attempt */
  _restoreRemoteDescription(attempt) {
    if (attempt.ended || attempt.remoteDescriptionSet) return;
    void this._onRemoteDescriptionSet(attempt);
  }

  /** @param {Attempt} attempt @param {any} data */
  _onChannelMessage(attempt, data) {
    if (attempt.ended) return;
    if (attempt.identityGate === "first") {
      this._onFirstFrame(attempt, data);
      return;
    }
    if (!this._mayDeliver(attempt) || attempt.backlog.length > 0) {
      attempt.backlog.push(data);
      return;
    }
    /** @type {Messenger} */ (attempt.messenger).onFrame(data);
  }

  /** Frames reach the messenger once the link is reported connected, the remote's identity settled and the group ready. @param {Attempt} attempt */
  _mayDeliver(attempt) {
    return attempt.connected && attempt.identityGate === "done" && attempt.messenger !== null && this._group._ready;
  }

  /** @param {Attempt} attempt */
  _drain(attempt) {
    if (!this._mayDeliver(attempt)) return;
    const messenger = /** @type {Messenger} */ (attempt.messenger);
    while (attempt.backlog.length > 0 && !attempt.ended) messenger.onFrame(attempt.backlog.shift());
  }

  /**
   * The remote's first channel message: its Identity frame (verified, then asked to the trust policy), or another
   * frame (no identity: refused when this side requires one, delivered otherwise).
   * @param {Attempt} attempt @param {any} data
   */
  _onFirstFrame(attempt, data) {
    const frame = data instanceof ArrayBuffer ? new Uint8Array(data) : null;
    let payload;
    try {
      payload = frame === null ? null : identityFramePayload(frame);
    } catch (error) {
      attempt.identityGate = "done";
      this._onAttemptFailed(attempt, /** @type {GroupError} */ (error));
      return;
    }
    if (payload === null) {
      attempt.identityGate = "done";
      if (this._group._identity.required) {
        const what = frame === null ? "a text message" : `a ${codeName(FrameKind, frame[0] & 0x0f)} frame`;
        this._onAttemptFailed(attempt, identityError(IdentityFailureReason.Missing,
          `Member ${this._remoteId} sent no Identity frame (its first message was ${what}); this member requires a verified identity (identity.requirePeerIdentity).`));
        return;
      }
      this._log.debug(`Member ${this._remoteId} proved no identity (it has no key)`);
      attempt.backlog.push(data);
      this._drain(attempt);
      return;
    }
    if (globalThis.crypto?.subtle === undefined && !this._group._identity.required) {
      // WebCrypto exists in secure contexts only (https:, or http: on localhost): a keyless page elsewhere cannot verify.
      this._log.warn(`Cannot verify member ${this._remoteId}'s identity: no WebCrypto here (not a secure context); it is treated as having none`);
      attempt.identityGate = "done";
      this._drain(attempt);
      return;
    }
    attempt.identityGate = "verifying";
    void this._verifyIdentity(attempt, payload);
  }

  /**
   * Resolves once the page sees both descriptions of the attempt (each change of them is a signalingstatechange), or the
   * attempt ended.
   * @param {Attempt} attempt
   */
  async _descriptionsApplied(attempt) {
    const pc = attempt.pc;
    while (!attempt.ended && pc.signalingState !== "closed" && (pc.remoteDescription === null || pc.localDescription === null)) {
      await new Promise((resolve) => pc.addEventListener("signalingstatechange", resolve, { once: true }));
    }
  }

  /** Verifies the remote's Identity payload over this connection's transcript and asks the trust policy. @param {Attempt} attempt @param {Uint8Array} payload */
  async _verifyIdentity(attempt, payload) {
    const group = this._group;
    try {
      // The channel may open, and the remote's Identity frame arrive, in the moment between the browser applying a
      // description and the page seeing it (the setRemoteDescription/setLocalDescription promise not yet resolved).
      await this._descriptionsApplied(attempt);
      if (attempt.ended) return;
      const signerFingerprint = sdpFingerprint(attempt.pc.remoteDescription?.sdp);
      const peerFingerprint = sdpFingerprint(attempt.pc.localDescription?.sdp);
      if (signerFingerprint === null || peerFingerprint === null) {
        throw identityError(IdentityFailureReason.BadSignature, `Cannot verify member ${this._remoteId}'s identity: a session description has no a=fingerprint line.`);
      }
      const identity = await verifyIdentityPayload(payload, { groupId: group.id, signerId: this._remoteId, peerId: group.localId, signerFingerprint, peerFingerprint });
      if (attempt.ended) return;
      let trusted = false;
      let reason = "";
      try {
        trusted = (await group._identity.trust({ ...identity, memberId: this._remoteId, groupId: group.id })) === true;
      } catch (error) {
        reason = `: ${messageOf(error)}`;
      }
      if (attempt.ended) return;
      if (!trusted) {
        throw identityError(IdentityFailureReason.Refused,
          `Member ${this._remoteId}'s identity "${identity.name}" (key id ${identity.keyId}) was refused by the trust policy${reason}.`);
      }
      attempt.identityGate = "done";
      this.member._identity = identity;
      this._log.info(`Member ${this._remoteId} proved the identity "${identity.name}" (key id ${identity.keyId})`);
      group._post(new MemberEvent("memberidentified", this.member));
      if (attempt.identitySent && !attempt.connected) this._reportConnected(attempt);
      else this._drain(attempt);
    } catch (error) {
      if (attempt.ended) return;
      this._onAttemptFailed(attempt, error instanceof GroupError ? error
        : identityError(IdentityFailureReason.Malformed, `Member ${this._remoteId}'s identity could not be checked: ${messageOf(error)}`, { cause: error }));
    }
  }

  /**
   * The channel is open: sends this side's Identity frame first (when it has a key), then reports the member
   * connected — once its identity is verified and trusted when this side requires one.
   * @param {Attempt} attempt
   */
  async _onConnected(attempt) {
    if (attempt.ended || attempt.messenger) return;
    const remoteMax = remoteMaxMessageSize(attempt.pc);
    if (!(remoteMax > FRAME_HEADER_SIZE)) {
      this._onAttemptFailed(attempt, new Error(`The remote's maximum message size (${remoteMax} bytes) cannot carry a ${FRAME_HEADER_SIZE}-byte frame header.`));
      return;
    }
    const group = this._group;
    const messenger = new Messenger(group, this, attempt.channel, Math.min(remoteMax, group.options.maxFrameSize), remoteMax);
    attempt.messenger = messenger;
    const settings = group._identity;
    if (settings.key) {
      try {
        const signerFingerprint = sdpFingerprint(attempt.pc.localDescription?.sdp);
        const peerFingerprint = sdpFingerprint(attempt.pc.remoteDescription?.sdp);
        if (signerFingerprint === null || peerFingerprint === null) throw new Error("A session description has no a=fingerprint line: the identity cannot be bound to this connection.");
        /** @type {Uint8Array|null} */
        let frame = encodeIdentityFrame(await signIdentityPayload(settings.key,
          { groupId: group.id, name: settings.name, signerId: group.localId, peerId: this._remoteId, signerFingerprint, peerFingerprint }));
        if (group._identityFrameHook) frame = group._identityFrameHook(frame);
        if (attempt.ended) return;
        if (frame) messenger._sendFrame(frame);
      } catch (error) {
        this._onAttemptFailed(attempt, error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
    attempt.identitySent = true;
    if (settings.required && attempt.identityGate !== "done") {
      this._log.debug(`The channel to member ${this._remoteId} is open; waiting for its identity`);
      return;
    }
    this._reportConnected(attempt);
  }

  /** @param {Attempt} attempt */
  _reportConnected(attempt) {
    if (attempt.ended || attempt.connected) return;
    clearTimeout(attempt.deadline);
    attempt.connected = true;
    this._failures = 0;
    this.member._lastError = null;
    this._setState(PeerState.Connected, null);
    const identity = this.member.identity;
    this._log.info(`Connected to member ${this._remoteId} (attempt ${attempt.number}, as ${attempt.role}, frames of up to ${attempt.messenger?.frameSize} bytes${identity ? `, identity "${identity.name}" ${identity.keyId}` : ""})`);
    this._drain(attempt);
  }

  /** @param {Attempt} attempt @param {Error} error */
  _onAttemptFailed(attempt, error) {
    if (attempt.ended) return;
    attempt.ended = true;
    const group = this._group;
    let wasCurrent = false;
    let removeMember = false;
    /** @type {number|null} */
    let retryIn = null;
    if (this._current === attempt) {
      wasCurrent = true;
      this._current = null;
      if (!this._removed && !group._closing) {
        this._failures++;
        this._setState(PeerState.Failed, error);
        if (group._signalingClosed) removeMember = true;
        else if (this.weOffer) retryIn = this._scheduleRetry();
      }
    }
    if (wasCurrent && !group._closing) {
      if (retryIn !== null) {
        this._log.warn(`Connection attempt ${attempt.number} to member ${this._remoteId} failed: ${error.message} Retrying in ${Math.round(retryIn)} ms`);
      } else if (!removeMember) {
        this._log.warn(`Connection attempt ${attempt.number} from member ${this._remoteId} failed: ${error.message} Waiting for its next offer`);
      }
      if (error instanceof SignalingError && (error.code === SignalingErrorCode.TargetUnavailable || error.code === SignalingErrorCode.GroupNotFound)) {
        void group._verifyMember(this._remoteId);
      }
    }
    this._endAttempt(attempt, error instanceof GroupError
      ? error
      : new GroupError(GroupErrorCode.ConnectionLost, `The connection to member ${this._remoteId} was lost: ${error.message}`, { cause: error }));
    if (removeMember) {
      group._removeMember(this._remoteId, "its connection was lost and the signaling connection is closed, so it cannot be reached again");
    }
  }

  /** Stops an ended attempt: its timers and relays, its requests (failed with `reason`), its connection. @param {Attempt} attempt @param {GroupError} reason */
  _endAttempt(attempt, reason) {
    const group = this._group;
    if (group._closing && reason.code !== GroupErrorCode.GroupClosed) {
      reason = new GroupError(GroupErrorCode.GroupClosed, `This member left group ${group.id}.`, { cause: reason });
    }
    clearTimeout(attempt.deadline);
    clearTimeout(attempt.recovery);
    attempt.end.abort(reason);
    attempt.opened.reject(reason);
    attempt.messenger?.failAll(reason);
    attempt.backlog = [];
    try {
      attempt.channel.close();
      attempt.pc.close();
    } catch (error) {
      this._log.debug(`Closing the connection to member ${this._remoteId} failed: ${messageOf(error)}`);
    }
  }

  /** @returns {number} the delay in ms */
  _scheduleRetry() {
    const options = this._group._service._options;
    const exponent = Math.min(Math.max(this._failures - 1, 0), 30);
    const base = Math.min(options.retryInitialDelay * 2 ** exponent, options.retryMaxDelay);
    const delay = Math.max(0, base * (1 + options.retryJitter * (Math.random() * 2 - 1)));
    this._armTimer(delay, () => this._startOfferAttempt());
    return delay;
  }

  /** @param {number} delay @param {() => void} action */
  _armTimer(delay, action) {
    this._cancelTimer();
    const timer = setTimeout(() => {
      if (this._timer !== timer) return;
      this._timer = undefined;
      if (!this._group._closing) action();
    }, delay);
    this._timer = timer;
  }

  _cancelTimer() {
    clearTimeout(this._timer);
    this._timer = undefined;
  }

  /** Sets the direct connection's state (and so, maybe, the member's). @param {string} state @param {Error|null} error @param {boolean} [raiseEvent] */
  _setState(state, error, raiseEvent = true) {
    const previous = this._directState;
    if (error) this.member._lastError = error;
    this._directState = state;
    if (previous !== state && state !== PeerState.Left) this._group._router.onDirectStateChanged(this, previous);
    this.publishState(error, raiseEvent);
  }

  /**
   * Updates the member's visible state from the direct connection's and the route's: `relayed` (with `relayedVia`)
   * while the direct connection is not up and a relay reaches the member. Raises `memberstatechanged` when the state
   * changed (not when only the relay did, as P2p.Core).
   * @param {Error|null} [error] @param {boolean} [raiseEvent]
   */
  publishState(error = null, raiseEvent = true) {
    const member = this.member;
    const direct = this._directState;
    const via = this.isDirectlyConnected || direct === PeerState.Left ? null : this._group._router.relayOf(member.id);
    const state = via === null ? direct : PeerState.Relayed;
    const previous = member._state;
    if (previous === state && member._relayedVia === via) return;
    member._state = state;
    member._relayedVia = via;
    if (raiseEvent && previous !== state) this._group._post(new MemberStateChangedEvent(member, previous, state, state === PeerState.Relayed ? null : error ?? member._lastError));
    this.notifyChanged();
  }

  /** Wakes whoever waits for this member's reachability (`waitForPath`, `whenAllConnected`). */
  notifyChanged() {
    this._group._signalMeshChanged();
    const changed = this._changed;
    this._changed = new Deferred();
    changed.resolve();
  }
}

/**
 * The largest message this side may send on the connection: the remote's a=max-message-size (RFC 8841
 * section 6; 65536 when absent, unlimited when 0), never more than the browser's own sctp.maxMessageSize.
 * @param {RTCPeerConnection} pc
 */
function remoteMaxMessageSize(pc) {
  const sdp = pc.remoteDescription?.sdp ?? "";
  const match = /^a=max-message-size:(\d+)\s*$/m.exec(sdp);
  let size = match ? Number(match[1]) : DEFAULT_REMOTE_MAX_MESSAGE_SIZE;
  if (size === 0) size = Number.POSITIVE_INFINITY;
  const local = pc.sctp?.maxMessageSize;
  if (typeof local === "number" && local > 0 && local < size) size = local;
  return size;
}
