// @ts-check
/**
 * Group messaging over one connected channel (P2p.Core's LinkMessenger): sending with back-pressure,
 * receiving, requests and replies.
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/messenger
 */

import { mayBroadcast, mayUnicast } from "./codes.js";
import { GroupError, GroupErrorCode, codeName } from "./errors.js";
import { Deferred, Semaphore, abortable, messageOf } from "./util.js";
import { FRAME_HEADER_SIZE, FRAME_VERSION, FrameKind, MAX_PARTIAL_MESSAGES, MessageReassembler, ReassemblyStatus, decodeErrorPayload, encodeErrorPayload, encodeFrame, frameCount, writeFrameHeader } from "./framing.js";
import { ROUTE_FRAME_BYTE0 } from "./route-frame.js";
/** @import { PeerLink } from "./link.js" */
/** @import { Group } from "./group.js" */

/** A sender has at most this many split messages partly sent per channel. */
const MAX_SPLIT_MESSAGES_IN_FLIGHT = 8;
/** Back-pressure: wait before sending while this much is buffered in the channel... */
export const SEND_HIGH_WATER = 1024 * 1024;
/** ...until it drains to this. */
const SEND_LOW_WATER = 256 * 1024;
export class Messenger {
  /**
   * @param {Group} group
   * @param {PeerLink} link
   * @param {RTCDataChannel} channel
   * @param {number} frameSize the largest frame sent: min(remote max message size, maxFrameSize)
   * @param {number} remoteMaxMessageSize the largest channel message the remote accepts (route frames are checked against it)
   */
  constructor(group, link, channel, frameSize, remoteMaxMessageSize) {
    this._group = group;
    this._link = link;
    this._member = link.member;
    this._channel = channel;
    this.frameSize = frameSize;
    this.remoteMaxMessageSize = remoteMaxMessageSize;
    this._reassembler = new MessageReassembler(group.options.maxMessageSize, MAX_PARTIAL_MESSAGES);
    /** @type {Map<number, Deferred>} */
    this._pending = new Map();
    this._splitSlots = new Semaphore(MAX_SPLIT_MESSAGES_IN_FLIGHT);
    /** @type {Set<{resolve: () => void, reject: (e: any) => void}>} */
    this._roomWaiters = new Set();
    /** @type {Error|null} */
    this._failure = null;
    this._nextMessageId = 0;
    channel.bufferedAmountLowThreshold = SEND_LOW_WATER;
    channel.addEventListener("bufferedamountlow", () => this._wakeSenders());
  }

  /** A new message id (broadcasts and requests share the counter; ids wrap at 2^32). */
  nextMessageId() {
    this._nextMessageId = (this._nextMessageId + 1) >>> 0;
    return this._nextMessageId;
  }

  /**
   * Sends one message as one or more frames; resolves when the channel took them all. Cancelled after
   * some frames went out, it sends a final empty fragment so that the receiver discards the message.
   * @param {number} kind @param {number} messageId @param {Uint8Array} message @param {AbortSignal|null} signal
   */
  async send(kind, messageId, message, signal) {
    const count = frameCount(message.length, this.frameSize);
    if (count > 1) await this._splitSlots.acquire(signal);
    let sent = 0;
    try {
      for (let i = 0; i < count; i++) {
        await this._waitForRoom(signal);
        this._sendFrame(encodeFrame(kind, messageId, message, i, this.frameSize));
        sent++;
      }
    } catch (error) {
      if (sent > 0 && sent < count && this._failure === null) {
        const cut = new Uint8Array(FRAME_HEADER_SIZE);
        writeFrameHeader(cut, { kind, final: true, messageId, totalLength: message.length });
        try {
          this._sendFrame(cut);
        } catch {
          // The connection is going away: the receiver drops its partial message with it.
        }
      }
      throw error;
    } finally {
      if (count > 1) this._splitSlots.release();
    }
  }

  /**
   * Sends a request and waits for its reply (the caller bounds the wait with `signal`).
   * @param {Uint8Array} data @param {AbortSignal} signal @returns {Promise<Uint8Array>}
   */
  async request(data, signal) {
    const id = this.nextMessageId();
    const reply = new Deferred();
    this._pending.set(id, reply);
    try {
      if (this._failure) throw this._failure;
      await this.send(FrameKind.Request, id, data, signal);
      return await abortable(reply.promise, signal);
    } finally {
      this._pending.delete(id);
    }
  }

  /** Fails every waiting request and sender (the link ended). @param {Error} error */
  failAll(error) {
    if (this._failure === null) this._failure = error;
    for (const reply of this._pending.values()) reply.reject(error);
    this._pending.clear();
    for (const waiter of this._roomWaiters) waiter.reject(error);
    this._roomWaiters.clear();
  }

  /** @param {AbortSignal|null} signal */
  async _waitForRoom(signal) {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      if (this._failure) throw this._failure;
      if (this._channel.readyState !== "open") {
        throw new GroupError(GroupErrorCode.ConnectionLost, `The channel to member ${this._member.id} is ${this._channel.readyState}.`);
      }
      if (this._channel.bufferedAmount <= SEND_HIGH_WATER) return;
      await new Promise((resolve, reject) => {
        const waiter = {
          resolve: () => { signal?.removeEventListener("abort", onAbort); resolve(undefined); },
          /** @param {any} e */
          reject: (e) => { signal?.removeEventListener("abort", onAbort); reject(e); },
        };
        const onAbort = () => { this._roomWaiters.delete(waiter); reject(signal?.reason); };
        signal?.addEventListener("abort", onAbort, { once: true });
        this._roomWaiters.add(waiter);
      });
    }
  }

  /**
   * Resolves once the channel has handed everything sent so far to the network (`bufferedAmount` 0), or when it closes;
   * at once when it is not open. A page cannot see the remote's acknowledgement, so this is as close to "delivered" as
   * the browser tells. Used when leaving, after the last sends (it lowers the channel's low-water mark to 0).
   * @returns {Promise<void>}
   */
  drained() {
    const channel = this._channel;
    if (channel.readyState !== "open" || channel.bufferedAmount === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        channel.removeEventListener("bufferedamountlow", check);
        channel.removeEventListener("close", done);
        resolve();
      };
      const check = () => { if (channel.bufferedAmount === 0) done(); };
      channel.bufferedAmountLowThreshold = 0;
      channel.addEventListener("bufferedamountlow", check);
      channel.addEventListener("close", done);
    });
  }

  _wakeSenders() {
    const waiters = [...this._roomWaiters];
    this._roomWaiters.clear();
    for (const waiter of waiters) waiter.resolve();
  }

  /** @param {Uint8Array} frame a frame this client built (never on a SharedArrayBuffer) */
  _sendFrame(frame) {
    try {
      this._channel.send(/** @type {Uint8Array<ArrayBuffer>} */ (frame));
    } catch (error) {
      throw new GroupError(GroupErrorCode.ConnectionLost, `The connection to member ${this._member.id} failed while sending: ${messageOf(error)}`, { cause: error });
    }
  }

  /** One received channel message. @param {any} data */
  onFrame(data) {
    const group = this._group;
    const log = group._logger;
    const from = this._member.id;
    if (!(data instanceof ArrayBuffer)) {
      log.warn(`Dropped a text message from member ${from}: frames are binary`);
      return;
    }
    const frame = new Uint8Array(data);
    if (frame.length > 0 && frame[0] === ROUTE_FRAME_BYTE0) {
      group._router.onFrame(this._link, frame);
      return;
    }
    if (frame.length > 0 && frame[0] === ((FRAME_VERSION << 4) | FrameKind.Identity)) {
      log.warn(`Dropped an Identity frame from member ${from}: only the first frame of a connection may be one`);
      return;
    }
    const { status, header, message } = this._reassembler.add(frame);
    switch (status) {
      case ReassemblyStatus.Incomplete:
        return;
      case ReassemblyStatus.Complete:
        break;
      case ReassemblyStatus.TooLarge:
        if (header?.final) {
          log.warn(`Dropped a message (kind ${header.kind}) of ${header.totalLength} bytes from member ${from}: larger than the limit of ${this._reassembler.maxMessageSize} bytes`);
          if (header.kind === FrameKind.Request) {
            this._sendErrorInBackground(header.messageId, GroupErrorCode.TooLarge, `The request (${header.totalLength} bytes) exceeds the receiver's limit of ${this._reassembler.maxMessageSize} bytes.`);
          } else if (header.kind === FrameKind.Reply || header.kind === FrameKind.Error) {
            const waiting = this._pending.get(header.messageId);
            if (waiting) {
              this._pending.delete(header.messageId);
              waiting.reject(new GroupError(GroupErrorCode.TooLarge, `The reply from member ${from} (${header.totalLength} bytes) exceeds the limit of ${this._reassembler.maxMessageSize} bytes.`));
            }
          }
        }
        return;
      case ReassemblyStatus.Malformed:
        log.warn(`Dropped a malformed or abandoned frame from member ${from} (${frame.length} bytes)`);
        return;
      default:
        log.warn(`Dropped a frame from member ${from}: too many partially received messages`);
        return;
    }

    if (header === null || message === null) return;
    switch (header.kind) {
      case FrameKind.Broadcast:
        if (!mayBroadcast(group.capability, from, group.ownerId)) {
          log.warn(`Dropped a broadcast from member ${from}: the group's capability ${group.capability} forbids it`);
          return;
        }
        group._enqueueBroadcast(this._member, message);
        return;

      case FrameKind.Request:
        if (!mayUnicast(group.capability, from, group.localId, group.ownerId)) {
          log.warn(`Refused a request from member ${from}: the group's capability ${group.capability} forbids it`);
          this._sendErrorInBackground(header.messageId, GroupErrorCode.Forbidden, `The group's capability (${group.capability}) forbids unicast from ${from} to ${group.localId}.`);
          return;
        }
        this._handleRequest(header.messageId, message);
        return;

      case FrameKind.Reply: {
        const reply = this._pending.get(header.messageId);
        if (reply) {
          this._pending.delete(header.messageId);
          reply.resolve(message);
        } else {
          log.debug(`Dropped a reply from member ${from} to request ${header.messageId}, which no longer waits`);
        }
        return;
      }

      case FrameKind.Error: {
        const { code, message: text } = decodeErrorPayload(message);
        const failed = this._pending.get(header.messageId);
        if (failed) {
          this._pending.delete(header.messageId);
          failed.reject(new GroupError(code, `Member ${from} answered with an error (${codeName(GroupErrorCode, code)}): ${text}`, { remoteMemberId: from, remoteMessage: text }));
        } else {
          log.debug(`Dropped an error from member ${from} to request ${header.messageId}, which no longer waits`);
        }
      }
    }
  }

  /** @param {number} requestId @param {Uint8Array} request */
  _handleRequest(requestId, request) {
    const lifetime = this._group._lifetime.signal;
    void this._group._answerRequest(this._member, request,
      (kind, payload) => this.send(kind, requestId, payload, lifetime), () => this._failure !== null);
  }

  /** @param {number} requestId @param {number} code @param {string} message */
  _sendErrorInBackground(requestId, code, message) {
    this._sendError(requestId, code, message).catch((error) =>
      this._group._logger.debug(`Could not send an error reply to member ${this._member.id}: ${messageOf(error)}`));
  }

  /** @param {number} requestId @param {number} code @param {string} message */
  _sendError(requestId, code, message) {
    return this.send(FrameKind.Error, requestId, encodeErrorPayload(code, message), this._group._lifetime.signal);
  }
}
