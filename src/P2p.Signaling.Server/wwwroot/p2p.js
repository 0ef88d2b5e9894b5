// @ts-check
/**
 * P2p browser client: a full member of P2p groups, over the browser's own RTCPeerConnection.
 *
 * It speaks the signaling protocol (JSON-RPC 2.0 over a WebSocket) and the group message framing of
 * docs/protocol.md, exactly as P2p.Core (.NET) does, so browser pages and .NET members can share a group.
 * Plain modern JavaScript (an ES module, JSDoc types), no build step, no dependencies.
 *
 * ```js
 * import { P2pService, GroupCapability } from "/p2p.js";
 * const service = await P2pService.connect();            // the signaling endpoint this module came from
 * const group = await service.createGroup(GroupCapability.All, {
 *   messageHandler: (from, data) => console.log(from.id, new TextDecoder().decode(data)),
 *   requestHandler: async (from, data) => data,           // echo
 * });
 * await group.broadcast("hello");
 * ```
 *
 * Guide and API: docs/browser-client.md.
 * @module p2p
 */

// ---------------------------------------------------------------------------------------------------
// Constants and codes
// ---------------------------------------------------------------------------------------------------

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

/** Why a group operation failed (`GroupError.code`). 1..99 travel in Error frames; 100 and above are local. */
export const GroupErrorCode = Object.freeze({
  NoHandler: 1,
  HandlerFailed: 2,
  Forbidden: 3,
  TooLarge: 4,
  Unavailable: 5,
  Timeout: 100,
  NotConnected: 101,
  NotMember: 102,
  ConnectionLost: 103,
  GroupClosed: 104,
  /**
   * Identity: the peer's identity was not accepted, so the connection to it was closed; the error's `reason` says why
   * (an `IdentityFailureReason`). The same code as the .NET SDK's `GroupErrorCode.IdentityRejected`.
   */
  IdentityRejected: 105,
});

/** Why a peer's identity was not accepted (`GroupError.reason` of `GroupErrorCode.IdentityRejected`; as the .NET SDK's `IdentityFailureReason`). */
export const IdentityFailureReason = Object.freeze({
  /** The peer sent no Identity frame (its first frame was another kind, or none came in time) and this member requires one. */
  Missing: "missing",
  /** The peer's Identity frame is malformed (lengths, trailing bytes, version, a key that is not P-256). */
  Malformed: "malformed",
  /** The signature in the peer's Identity frame does not verify over this connection's transcript. */
  BadSignature: "badSignature",
  /** The trust policy refused the peer's verified identity. */
  Refused: "refused",
});

/** JSON-RPC error codes of the signaling protocol (docs/protocol.md, "Error codes"). */
export const SignalingErrorCode = Object.freeze({
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  NotInitialized: -32001,
  GroupNotFound: -32002,
  NotMember: -32003,
  TargetUnavailable: -32004,
  RelayTimeout: -32005,
  MessageTooLarge: -32006,
  TooManyPendingRelays: -32007,
  TooManyGroups: -32008,
  /** `resume` refused (bad or foreign token, unknown or expired session): the session is gone. */
  ResumeRefused: -32009,
  NoRelayHandler: -32010,
  RelayHandlerFailed: -32011,
  ConnectionClosed: -32020,
  RequestTimeout: -32021,
  InvalidResponse: -32022,
  /** Local: the connection dropped and the channel is reconnecting; retry after `reconnected`. */
  Reconnecting: -32023,
  /** A member's answer to an offer when both offer and it keeps its own (lower user id). */
  Glare: -32030,
  /** A member's answer to a relay for a group it is not (or no longer, or not yet) a member of. */
  NotInGroup: -32031,
  /** The receiver has no live connection to the sender that it could restart (an answer to `{"type":"restart"}`). */
  NothingToRestart: -32032,
  /** The group already has as many members as the server allows (`join`). */
  GroupFull: -32040,
  /** Too many relays per second from this connection; the relay was not forwarded, retry later. */
  RateLimited: -32041,
  /** The server's authorization refused this `create` or `join`. */
  Forbidden: -32042,
  /** The server cannot reach a service it depends on (the Redis of a multi-instance deployment); retry later. */
  ServiceUnavailable: -32043,
});

/**
 * The kind of a group message frame (low nibble of byte 0). `Identity` (5) is only ever the first frame of a
 * channel (see "Identity"); `readFrameHeader` and `MessageReassembler` treat it as unknown, as older receivers do.
 */
export const FrameKind = Object.freeze({ Broadcast: 1, Request: 2, Reply: 3, Error: 4, Identity: 5 });

/** What `MessageReassembler.add` made of a frame. */
export const ReassemblyStatus = Object.freeze({
  Incomplete: "incomplete",
  Complete: "complete",
  Malformed: "malformed",
  TooLarge: "too-large",
  TooManyPartialMessages: "too-many-partial-messages",
});

/** The size of a frame header in bytes. */
export const FRAME_HEADER_SIZE = 10;
/** The default message size limit (sent and accepted): 16 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
/** The default largest frame sent (never more than the remote's max-message-size): 64 KiB. */
export const DEFAULT_MAX_FRAME_SIZE = 64 * 1024;

const FRAME_VERSION = 1;
const FINAL_FLAG = 0x01;
/** A sender has at most this many split messages partly sent per channel. */
const MAX_SPLIT_MESSAGES_IN_FLIGHT = 8;
/** A receiver keeps at most this many partial messages per channel. */
const MAX_PARTIAL_MESSAGES = 16;
/** Early remote candidates kept per member until the remote description is set. */
const MAX_EARLY_CANDIDATES = 64;
/** The longest error message written into an Error frame, in UTF-8 bytes. */
const MAX_ERROR_MESSAGE_BYTES = 1024;
/** The remote's max message size when its SDP has no a=max-message-size (RFC 8841 section 6.1). */
const DEFAULT_REMOTE_MAX_MESSAGE_SIZE = 65536;
/** Back-pressure: wait before sending while this much is buffered in the channel... */
const SEND_HIGH_WATER = 1024 * 1024;
/** ...until it drains to this. */
const SEND_LOW_WATER = 256 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------

/** A group operation failed: locally (forbidden, timeout, ...) or at the remote member (its error reply). */
export class GroupError extends Error {
  /**
   * @param {number} code a `GroupErrorCode`
   * @param {string} message
   * @param {{cause?: unknown, remoteMemberId?: string|null, remoteMessage?: string|null, reason?: string|null}} [details]
   */
  constructor(code, message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "GroupError";
    /** The `GroupErrorCode`. */
    this.code = code;
    /** The member that answered with this error, or null for a local failure. */
    this.remoteMemberId = details.remoteMemberId ?? null;
    /** The remote's own message (for an error reply), as it was sent. */
    this.remoteMessage = details.remoteMessage ?? null;
    /** For `IdentityRejected`: why (an `IdentityFailureReason`); otherwise null. */
    this.reason = details.reason ?? null;
  }

  /** True when the remote member answered with this error. */
  get isRemote() { return this.remoteMemberId !== null; }

  /** The code's name (`"HandlerFailed"`, ...). */
  get codeName() { return codeName(GroupErrorCode, this.code); }
}

/**
 * An `IdentityRejected` error for `reason`.
 * @param {string} reason an `IdentityFailureReason`
 * @param {string} message
 * @param {{cause?: unknown}} [details]
 */
function identityError(reason, message, details = {}) {
  return new GroupError(GroupErrorCode.IdentityRejected, message, { ...details, reason });
}

/** A signaling call failed: the server's (or a relay target's) JSON-RPC error, or a local one (-32020..-32022). */
export class SignalingError extends Error {
  /**
   * @param {number} code a JSON-RPC error code (`SignalingErrorCode`)
   * @param {string} message
   * @param {unknown} [data] the error's `data` member, if any
   */
  constructor(code, message, data = undefined) {
    super(message);
    this.name = "SignalingError";
    this.code = code;
    this.data = data;
  }

  /** The code's name (`"GroupNotFound"`, ...). */
  get codeName() { return codeName(SignalingErrorCode, this.code); }
}

/**
 * @param {Readonly<Record<string, number>>} codes
 * @param {number} code
 */
function codeName(codes, code) {
  for (const [name, value] of Object.entries(codes)) {
    if (value === code) return name;
  }
  return String(code);
}

// ---------------------------------------------------------------------------------------------------
// Framing (docs/protocol.md, "Frames"), byte-compatible with P2p.Core.Framing
// ---------------------------------------------------------------------------------------------------

/**
 * @typedef {object} FrameHeader
 * @property {number} kind a `FrameKind`
 * @property {boolean} final the last (or only) fragment of its message
 * @property {number} messageId uint32
 * @property {number} totalLength the whole message's length
 */

/**
 * Writes a 10-byte frame header: version 1 and kind, flags (0x01 final), message id and total length
 * (uint32 big endian).
 * @param {Uint8Array} target at least 10 bytes
 * @param {FrameHeader} header
 */
export function writeFrameHeader(target, header) {
  if (target.length < FRAME_HEADER_SIZE) throw new RangeError(`A frame header needs ${FRAME_HEADER_SIZE} bytes.`);
  target[0] = (FRAME_VERSION << 4) | (header.kind & 0x0f);
  target[1] = header.final ? FINAL_FLAG : 0;
  const view = new DataView(target.buffer, target.byteOffset, FRAME_HEADER_SIZE);
  view.setUint32(2, header.messageId >>> 0);
  view.setUint32(6, header.totalLength >>> 0);
}

/**
 * Reads a frame header; null for a frame shorter than the header, another version, an unknown kind or
 * unknown flags (never throws).
 * @param {Uint8Array} frame
 * @returns {FrameHeader|null}
 */
export function readFrameHeader(frame) {
  if (frame.length < FRAME_HEADER_SIZE || frame[0] >> 4 !== FRAME_VERSION || (frame[1] & ~FINAL_FLAG) !== 0) return null;
  const kind = frame[0] & 0x0f;
  if (kind < FrameKind.Broadcast || kind > FrameKind.Error) return null; // Identity frames are read by the identity handshake only
  const view = new DataView(frame.buffer, frame.byteOffset, FRAME_HEADER_SIZE);
  return { kind, final: (frame[1] & FINAL_FLAG) !== 0, messageId: view.getUint32(2), totalLength: view.getUint32(6) };
}

/** @param {number} maxFrameSize */
function frameCapacity(maxFrameSize) {
  if (!(maxFrameSize > FRAME_HEADER_SIZE)) throw new RangeError(`A frame must be larger than its ${FRAME_HEADER_SIZE}-byte header.`);
  return maxFrameSize - FRAME_HEADER_SIZE;
}

/**
 * How many frames a message of `length` bytes needs.
 * @param {number} length
 * @param {number} maxFrameSize the largest frame the channel carries
 */
export function frameCount(length, maxFrameSize) {
  const capacity = frameCapacity(maxFrameSize);
  return length === 0 ? 1 : Math.ceil(length / capacity);
}

/**
 * Frame `index` of a message (a new array: header and fragment).
 * @param {number} kind a `FrameKind`
 * @param {number} messageId
 * @param {Uint8Array} message the whole message
 * @param {number} index 0 to frameCount - 1
 * @param {number} maxFrameSize
 */
export function encodeFrame(kind, messageId, message, index, maxFrameSize) {
  const capacity = frameCapacity(maxFrameSize);
  const count = frameCount(message.length, maxFrameSize);
  if (!(index >= 0 && index < count)) throw new RangeError(`Frame index ${index} is outside 0..${count - 1}.`);
  const offset = index * capacity;
  const fragment = message.subarray(offset, Math.min(offset + capacity, message.length));
  const frame = new Uint8Array(FRAME_HEADER_SIZE + fragment.length);
  writeFrameHeader(frame, { kind, final: index === count - 1, messageId, totalLength: message.length });
  frame.set(fragment, FRAME_HEADER_SIZE);
  return frame;
}

/**
 * Every frame of a message.
 * @param {number} kind
 * @param {number} messageId
 * @param {Uint8Array} message
 * @param {number} maxFrameSize
 */
export function encodeFrames(kind, messageId, message, maxFrameSize) {
  const frames = [];
  const count = frameCount(message.length, maxFrameSize);
  for (let i = 0; i < count; i++) frames.push(encodeFrame(kind, messageId, message, i, maxFrameSize));
  return frames;
}

/**
 * Rebuilds messages from the frames of one channel. Frames of different messages may interleave; the
 * frames of one message arrive in order. (Kind, id) identifies a message being rebuilt.
 */
export class MessageReassembler {
  /**
   * @param {number} [maxMessageSize] the largest message accepted (default 16 MiB)
   * @param {number} [maxPartialMessages] how many messages may be partly received at once (default 16)
   */
  constructor(maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE, maxPartialMessages = MAX_PARTIAL_MESSAGES) {
    if (!(maxMessageSize >= 0 && maxMessageSize <= 0x7fffffff - 64)) throw new RangeError("The message size limit must be between 0 and 2 GiB.");
    this.maxMessageSize = maxMessageSize;
    this.maxPartialMessages = maxPartialMessages;
    /** @type {Map<number, {totalLength: number, buffer: Uint8Array|null, received: number}>} */
    this._partials = new Map();
  }

  /**
   * Adds one received frame. On `Complete`, `message` is the whole message (the caller owns it).
   * @param {Uint8Array} frame
   * @returns {{status: string, header: FrameHeader|null, message: Uint8Array|null}}
   */
  add(frame) {
    const header = readFrameHeader(frame);
    if (header === null) return { status: ReassemblyStatus.Malformed, header, message: null };
    const fragment = frame.subarray(FRAME_HEADER_SIZE);
    const key = header.kind * 0x100000000 + header.messageId;
    let partial = this._partials.get(key);
    if (partial === undefined) {
      if (header.totalLength > this.maxMessageSize) {
        if (!header.final) this._partials.set(key, { totalLength: header.totalLength, buffer: null, received: 0 });
        return { status: ReassemblyStatus.TooLarge, header, message: null };
      }
      if (header.final) {
        if (fragment.length !== header.totalLength) return { status: ReassemblyStatus.Malformed, header, message: null };
        return { status: ReassemblyStatus.Complete, header, message: fragment.slice() };
      }
      if (fragment.length >= header.totalLength) return { status: ReassemblyStatus.Malformed, header, message: null };
      if (this._partials.size >= this.maxPartialMessages) return { status: ReassemblyStatus.TooManyPartialMessages, header, message: null };
      partial = { totalLength: header.totalLength, buffer: new Uint8Array(header.totalLength), received: 0 };
      this._partials.set(key, partial);
    }

    if (partial.totalLength !== header.totalLength || partial.received + fragment.length > header.totalLength) {
      this._partials.delete(key);
      return { status: ReassemblyStatus.Malformed, header, message: null };
    }

    if (partial.buffer === null) {
      // Discarding an over-large message: count its bytes until its final fragment.
      partial.received += fragment.length;
      if (header.final) this._partials.delete(key);
      return { status: ReassemblyStatus.TooLarge, header, message: null };
    }

    partial.buffer.set(fragment, partial.received);
    partial.received += fragment.length;
    if (!header.final) return { status: ReassemblyStatus.Incomplete, header, message: null };
    this._partials.delete(key);
    if (partial.received !== partial.totalLength) return { status: ReassemblyStatus.Malformed, header, message: null };
    return { status: ReassemblyStatus.Complete, header, message: partial.buffer };
  }
}

/**
 * The payload of an Error frame: code (uint16 big endian) and a UTF-8 message of at most 1024 bytes
 * (cut at a character boundary).
 * @param {number} code
 * @param {string} message
 */
export function encodeErrorPayload(code, message) {
  const bytes = encoder.encode(message);
  let length = bytes.length;
  if (length > MAX_ERROR_MESSAGE_BYTES) {
    length = MAX_ERROR_MESSAGE_BYTES;
    while (length > 0 && (bytes[length] & 0xc0) === 0x80) length--; // do not cut a multi-byte character
  }
  const payload = new Uint8Array(2 + length);
  new DataView(payload.buffer).setUint16(0, code);
  payload.set(bytes.subarray(0, length), 2);
  return payload;
}

/**
 * Reads an Error frame's payload; one shorter than the code reads as an unreadable `HandlerFailed`.
 * @param {Uint8Array} payload
 * @returns {{code: number, message: string}}
 */
export function decodeErrorPayload(payload) {
  if (payload.length < 2) return { code: GroupErrorCode.HandlerFailed, message: "(an unreadable error reply)" };
  const code = new DataView(payload.buffer, payload.byteOffset, 2).getUint16(0);
  return { code, message: decoder.decode(payload.subarray(2)) };
}

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

// ---------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------

/**
 * @typedef {Uint8Array|ArrayBuffer|ArrayBufferView|string} Payload
 * Application data: bytes, or a string (sent as UTF-8).
 */

/**
 * The bytes of a payload (no copy for bytes).
 * @param {Payload} data
 * @returns {Uint8Array}
 */
export function toBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === "string") return encoder.encode(data);
  throw new TypeError("A payload is a Uint8Array, an ArrayBuffer, an ArrayBufferView or a string.");
}

/**
 * Decodes UTF-8 bytes (a received message) as text.
 * @param {Uint8Array|ArrayBuffer} bytes
 */
export function toText(bytes) {
  return decoder.decode(bytes);
}

/** A promise with its resolve and reject; never reported as an unhandled rejection. */
class Deferred {
  constructor() {
    /** @type {(value?: any) => void} */
    this.resolve = () => {};
    /** @type {(reason?: any) => void} */
    this.reject = () => {};
    /** @type {Promise<any>} */
    this.promise = new Promise((resolve, reject) => { this.resolve = resolve; this.reject = reject; });
    this.promise.catch(() => {});
  }
}

/**
 * Waits for `promise`, or rejects with the signal's reason when it aborts first.
 * @template T
 * @param {Promise<T>} promise
 * @param {AbortSignal|undefined|null} signal
 * @returns {Promise<T>}
 */
function abortable(promise, signal) {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => { signal.removeEventListener("abort", onAbort); resolve(value); },
      (error) => { signal.removeEventListener("abort", onAbort); reject(error); });
  });
}

/** A counting semaphore with a FIFO queue of waiters. */
class Semaphore {
  /** @param {number} count */
  constructor(count) {
    this._count = count;
    /** @type {{resolve: () => void, reject: (e: any) => void}[]} */
    this._waiters = [];
  }

  /** @param {AbortSignal|null} [signal] */
  acquire(signal) {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this._count > 0) {
      this._count--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => { signal?.removeEventListener("abort", onAbort); resolve(undefined); },
        reject,
      };
      const onAbort = () => {
        const i = this._waiters.indexOf(waiter);
        if (i >= 0) this._waiters.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this._waiters.push(waiter);
    });
  }

  release() {
    const next = this._waiters.shift();
    if (next) next.resolve();
    else this._count++;
  }
}

/** @param {number} ms */
function formatDuration(ms) {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/** @param {string} message */
function timeoutError(message) {
  const error = new Error(message);
  error.name = "TimeoutError";
  return error;
}

/** @param {string} text */
function truncate(text) {
  return text.length <= 200 ? text : text.slice(0, 200) + "…";
}

/**
 * @typedef {object} Logger
 * @property {(...args: any[]) => void} debug
 * @property {(...args: any[]) => void} info
 * @property {(...args: any[]) => void} warn
 * @property {(...args: any[]) => void} error
 */

/** The default logger: warnings and errors to the console, nothing else. @type {Logger} */
export const defaultLogger = Object.freeze({
  debug() {},
  info() {},
  warn: (...args) => console.warn("[p2p]", ...args),
  error: (...args) => console.error("[p2p]", ...args),
});

/**
 * The signaling endpoint this module was served from (the server serves it next to its WebSocket
 * endpoint), e.g. `ws://127.0.0.1:3001/` for `http://127.0.0.1:3001/p2p.js`.
 */
export function defaultSignalingUrl() {
  try {
    const url = new URL("./", import.meta.url);
    if (url.protocol === "http:" || url.protocol === "https:") {
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      return url.href;
    }
  } catch {
    // Not loaded from a URL we can use.
  }
  return "ws://127.0.0.1:3001/";
}

/**
 * When an ICE server's TURN REST credentials expire: the user name `EXPIRY:USERID` (or just `EXPIRY`) starts with the
 * expiry in Unix seconds, as coturn's `use-auth-secret` checks it. Null for other user names (static credentials, STUN).
 * @param {RTCIceServer} server
 * @returns {Date|null}
 */
export function turnRestExpiry(server) {
  const match = typeof server.username === "string" ? /^(\d{1,12})(?::|$)/.exec(server.username) : null;
  return match ? new Date(Number(match[1]) * 1000) : null;
}

/** @param {any} urls @returns {string[]} */
function urlList(urls) {
  return typeof urls === "string" ? [urls] : Array.isArray(urls) ? urls : [];
}

// ---------------------------------------------------------------------------------------------------
// Signaling: JSON-RPC 2.0 over a WebSocket (docs/protocol.md)
// ---------------------------------------------------------------------------------------------------

/**
 * @typedef {object} GroupInfo
 * @property {string} id
 * @property {string} owner
 * @property {number} capability
 * @property {string[]} members in join order, the caller included
 */

/**
 * @typedef {object} RelayRequest
 * @property {string} groupId
 * @property {string} fromUserId filled in by the server
 * @property {any} data
 */

/** `memberjoined` / `memberleft` of a SignalingChannel. */
export class SignalingMemberEvent extends Event {
  /** @param {string} type @param {string} groupId @param {string} userId */
  constructor(type, groupId, userId) {
    super(type);
    this.groupId = groupId;
    this.userId = userId;
  }
}

/** `close` of a SignalingChannel, `signalingclosed` of a P2pService. */
export class SignalingClosedEvent extends Event {
  /** @param {string} type @param {string} reason */
  constructor(type, reason) {
    super(type);
    this.reason = reason;
  }
}

/** `reconnecting` of a SignalingChannel, `signalingreconnecting` of a P2pService: the connection dropped. */
export class SignalingReconnectingEvent extends Event {
  /** @param {string} type @param {string} reason */
  constructor(type, reason) {
    super(type);
    this.reason = reason;
  }
}

/**
 * @typedef {object} SignalingChannelOptions
 * @property {number} [requestTimeout] per-call timeout in ms (default 40000)
 * @property {number} [connectTimeout] ms to open a WebSocket (default 15000)
 * @property {boolean} [reconnect] reconnect and `resume` after an unexpected drop (default true)
 * @property {number} [reconnectTimeout] ms to keep trying before closing for good (default 30000)
 * @property {number} [reconnectInitialDelay] ms before the second attempt (the first is immediate); doubles, ±20 % jitter (default 250)
 * @property {number} [reconnectMaxDelay] the longest delay between attempts in ms (default 5000)
 * @property {string} [url] where to reconnect (default: the socket's url)
 * @property {AccessToken} [accessToken] a token for a server that requires authentication, sent as the `access_token` query parameter of every connection attempt (see `AccessToken`)
 * @property {Logger} [logger]
 */

/**
 * An access token (e.g. a JWT) for a signaling server whose endpoint requires authentication: the token itself, or a
 * function returning it (or a Promise of it), called before every connection attempt — the first and each
 * reconnection — so it can hand out a fresh token when the last one expired. Browsers cannot set headers on a
 * WebSocket, so it travels URL-encoded as the `access_token` query parameter (the server reads it from there; see
 * docs/deploying.md). Null, undefined or "" sends none.
 * @typedef {string | null | (() => (string | null | undefined | Promise<string | null | undefined>))} AccessToken
 */

/**
 * `url` with the current access token as its `access_token` query parameter (`url` itself when there is none).
 * @param {string} url @param {AccessToken|undefined} accessToken
 * @returns {Promise<string>}
 */
async function withAccessToken(url, accessToken) {
  if (accessToken === undefined || accessToken === null) return url;
  let token;
  try {
    token = typeof accessToken === "function" ? await accessToken() : accessToken;
  } catch (error) {
    throw new SignalingError(SignalingErrorCode.ConnectionClosed, `Cannot connect to ${url}: the accessToken function failed: ${messageOf(error)}`);
  }
  if (token === undefined || token === null || token === "") return url;
  if (typeof token !== "string") throw new TypeError("accessToken must be a string, or a function returning a string or a Promise of one.");
  const withToken = new URL(url);
  withToken.searchParams.set("access_token", token);
  return withToken.href;
}

/**
 * Opens a WebSocket to `url`, with the access token (if any) in its query; messages name `url` without the token.
 * @param {string} url @param {number} timeout @param {AccessToken} [accessToken]
 * @returns {Promise<WebSocket>}
 */
async function openWebSocket(url, timeout, accessToken) {
  const target = await withAccessToken(url, accessToken);
  return new Promise((resolve, reject) => {
    /** @type {WebSocket} */
    let socket;
    try {
      socket = new WebSocket(target);
    } catch (error) {
      reject(new SignalingError(SignalingErrorCode.ConnectionClosed, `Cannot connect to ${url}: ${messageOf(error)}`));
      return;
    }
    const cleanup = () => {
      clearTimeout(timer);
      socket.removeEventListener("open", onOpen);
      socket.removeEventListener("close", onClose);
    };
    const onOpen = () => { cleanup(); resolve(socket); };
    /** @param {CloseEvent} event */
    const onClose = (event) => {
      cleanup();
      // A browser does not tell why an upgrade failed: a refused one (HTTP 401/403) looks like an unreachable server.
      const why = event.code === 1006
        ? `: the server is unreachable or refused the WebSocket upgrade (e.g. HTTP 401/403: ${accessToken ? "the access token was not accepted" : "no access token was sent — see the accessToken option"})`
        : "";
      reject(new SignalingError(SignalingErrorCode.ConnectionClosed, `Could not connect to ${url} (WebSocket close code ${event.code})${why}.`));
    };
    const timer = setTimeout(() => {
      cleanup();
      socket.close();
      reject(new SignalingError(SignalingErrorCode.ConnectionClosed, `No connection to ${url} within ${formatDuration(timeout)}.`));
    }, timeout);
    socket.addEventListener("open", onOpen);
    socket.addEventListener("close", onClose);
  });
}

/**
 * One connection to the signaling server (the .NET `WebSocketSignalingChannel`). Responses are matched
 * by id; every call has a timeout; when the connection closes every pending call fails with -32020.
 * When the socket drops unexpectedly (no close asked for, or the server closes with 1001/1011/1012) after
 * `init`, the channel reconnects with back-off and `resume`s its session (same user id and groups):
 * meanwhile calls fail at once with -32023 (Reconnecting); if resuming is refused or `reconnectTimeout`
 * passes, it closes as before.
 * Events: `memberjoined`, `memberleft` (SignalingMemberEvent), `reconnecting` (SignalingReconnectingEvent),
 * `reconnected` (Event), `close` (SignalingClosedEvent), once.
 */
export class SignalingChannel extends EventTarget {
  /**
   * Opens a WebSocket to the server.
   * @param {string} [url] default: `defaultSignalingUrl()`
   * @param {SignalingChannelOptions} [options]
   * @returns {Promise<SignalingChannel>}
   */
  static async connect(url = defaultSignalingUrl(), options = {}) {
    const socket = await openWebSocket(url, options.connectTimeout ?? 15000, options.accessToken);
    return new SignalingChannel(socket, { ...options, url });
  }

  /**
   * Wraps an open WebSocket (`SignalingChannel.connect` does this for you).
   * @param {WebSocket} socket
   * @param {SignalingChannelOptions} [options]
   */
  constructor(socket, options = {}) {
    super();
    this._socket = socket;
    this._logger = options.logger ?? defaultLogger;
    this._url = options.url ?? socket.url;
    this._reconnect = options.reconnect ?? true;
    this._reconnectTimeout = options.reconnectTimeout ?? 30000;
    this._reconnectInitialDelay = options.reconnectInitialDelay ?? 250;
    this._reconnectMaxDelay = options.reconnectMaxDelay ?? 5000;
    this._connectTimeout = options.connectTimeout ?? 15000;
    /** Asked again before every reconnection attempt (never logged). @type {AccessToken} */
    this._accessToken = options.accessToken ?? null;
    /** The latest `get_resume_token` token (never logged). @type {string|null} */
    this._resumeToken = null;
    /** Groups this member is in, for `resume`. @type {Map<string, {owner: string|null, capability: number|null}>} */
    this._groups = new Map();
    this._reconnecting = false;
    this._dropReason = "";
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this._reconnectTimer = undefined;
    /** Per-call timeout in ms (default 40 s, longer than the server's relay timeout). */
    this.requestTimeout = options.requestTimeout ?? 40000;
    /**
     * Answers the server's `relay` requests: returns (or resolves to) the answer; throwing a
     * SignalingError answers with its code, anything else with -32011. None set: -32010.
     * @type {((relay: RelayRequest) => any) | null}
     */
    this.relayHandler = null;
    /** The user id, once `init` answered. @type {string|null} */
    this.userId = null;
    this._nextId = 1;
    /** @type {Map<number, {resolve: (v: any) => void, reject: (e: any) => void, cleanup: () => void}>} */
    this._pending = new Map();
    this._closed = false;
    this._attach(socket);
  }

  /** True once the connection closed (or `close` was called); false while reconnecting. */
  get isClosed() { return this._closed; }

  /** True while the channel has a working connection (not reconnecting, not closed). */
  get isConnected() { return !this._closed && !this._reconnecting; }

  /** @param {WebSocket} socket */
  _attach(socket) {
    socket.addEventListener("message", (event) => { if (socket === this._socket) this._onMessage(event); });
    socket.addEventListener("close", (event) => this._onSocketClosed(socket, event));
  }

  /** @param {WebSocket} socket @param {CloseEvent} event */
  _onSocketClosed(socket, event) {
    if (socket !== this._socket || this._closed) return;
    const reason = `the WebSocket closed (code ${event.code}${event.reason ? `, "${event.reason}"` : ""})`;
    if (this._reconnecting) {
      this._failPending(SignalingErrorCode.Reconnecting, reason); // an attempt's socket: its resume fails, the loop goes on
      return;
    }
    const resumable = event.code !== 1000 && event.code !== 1008 && event.code !== 1009;
    if (resumable && this._reconnect && this.userId !== null && this._resumeToken !== null) this._beginReconnect(reason);
    else this._onClosed(reason);
  }

  /** @param {string} reason */
  _beginReconnect(reason) {
    this._reconnecting = true;
    this._dropReason = reason;
    this._failPending(SignalingErrorCode.Reconnecting, `${reason}; reconnecting`);
    this._logger.warn(`Signaling: the connection dropped (${reason}); reconnecting to resume user ${this.userId}`);
    this.dispatchEvent(new SignalingReconnectingEvent("reconnecting", reason));
    void this._reconnectLoop();
  }

  async _reconnectLoop() {
    const started = Date.now();
    let delay = 0;
    let last = this._dropReason;
    for (let attempt = 1; !this._closed; attempt++) {
      if (delay > 0) {
        const left = this._reconnectTimeout - (Date.now() - started);
        await new Promise((resolve) => { this._reconnectTimer = setTimeout(resolve, Math.max(0, Math.min(left, delay * (0.8 + 0.4 * Math.random())))); });
        if (this._closed) return;
      }
      const remaining = this._reconnectTimeout - (Date.now() - started);
      if (remaining <= 0) {
        this._onClosed(`could not resume the signaling session within ${formatDuration(this._reconnectTimeout)} (${last})`);
        return;
      }
      this._logger.debug(`Signaling: reconnection attempt ${attempt}`);
      try {
        const socket = await openWebSocket(this._url, Math.min(remaining, this._connectTimeout), this._accessToken);
        if (this._closed) { socket.close(1000); return; }
        const previous = this._socket;
        this._socket = socket;
        this._attach(socket);
        try { previous.close(1000); } catch { /* already closed */ }
        const groups = [...this._groups].map(([id, g]) => ({ id, owner: g.owner, capability: g.capability }));
        const result = await this.call("resume", [this._resumeToken, groups], { timeout: Math.min(remaining, this.requestTimeout), _duringReconnect: true });
        if (result === null || typeof result !== "object" || result.id !== this.userId || !Array.isArray(result.groups)) throw invalidResponse("resume", result);
        for (const id of [...this._groups.keys()]) if (!result.groups.includes(id)) this._groups.delete(id);
        for (const id of result.groups) if (!this._groups.has(id)) this._groups.set(id, { owner: null, capability: null });
        if (this._closed) return;
        this._reconnecting = false;
        this._logger.info(`Signaling: resumed user ${this.userId} after ${Date.now() - started} ms (${attempt} attempt(s))`);
        this.dispatchEvent(new Event("reconnected"));
        void this._refreshResumeToken();
        return;
      } catch (error) {
        const code = error instanceof SignalingError ? error.code : SignalingErrorCode.ConnectionClosed;
        if (code !== SignalingErrorCode.ConnectionClosed && code !== SignalingErrorCode.Reconnecting && code !== SignalingErrorCode.RequestTimeout) {
          try { this._socket.close(1000); } catch { /* already closed */ }
          this._onClosed(`resume refused: ${messageOf(error)}`);
          return;
        }
        last = messageOf(error);
        this._logger.debug(`Signaling: reconnection attempt ${attempt} failed: ${last}`);
      }
      delay = delay === 0 ? this._reconnectInitialDelay : Math.min(delay * 2, this._reconnectMaxDelay);
    }
  }

  /** `get_resume_token`: keeps the token for `resume`; a server without the extension (-32601) means no reconnecting. */
  async _refreshResumeToken() {
    try {
      const result = await this.call("get_resume_token", []);
      if (result !== null && typeof result === "object" && typeof result.token === "string") this._resumeToken = result.token;
    } catch (error) {
      if (error instanceof SignalingError && error.code === SignalingErrorCode.MethodNotFound) this._resumeToken = null;
      this._logger.debug(`Signaling: no resume token: ${messageOf(error)}`);
    }
  }

  /**
   * Calls a method; resolves with its result, rejects with a SignalingError.
   * @param {string} method
   * @param {any[]} params
   * @param {{signal?: AbortSignal|null, timeout?: number, _duringReconnect?: boolean}} [options]
   * @returns {Promise<any>}
   */
  call(method, params, options = {}) {
    if (this._closed) return Promise.reject(new SignalingError(SignalingErrorCode.ConnectionClosed, "The signaling connection is closed."));
    if (this._reconnecting && !options._duringReconnect) {
      return Promise.reject(new SignalingError(SignalingErrorCode.Reconnecting, `The signaling connection dropped and is reconnecting: ${this._dropReason}.`));
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this._nextId++;
    const timeout = options.timeout ?? this.requestTimeout;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        cleanup();
        reject(new SignalingError(SignalingErrorCode.RequestTimeout, `No answer to '${method}' within ${formatDuration(timeout)}.`));
      }, timeout);
      const onAbort = () => {
        this._pending.delete(id);
        cleanup();
        reject(signal?.reason);
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this._pending.set(id, { resolve, reject, cleanup });
      try {
        this._socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
      } catch (error) {
        this._pending.delete(id);
        cleanup();
        reject(new SignalingError(this._reconnecting ? SignalingErrorCode.Reconnecting : SignalingErrorCode.ConnectionClosed, `Could not send '${method}': ${messageOf(error)}`));
      }
    });
  }

  /** `init`: this connection's user id (128-bit lowercase hex). */
  async init() {
    const id = await this.call("init", []);
    if (typeof id !== "string" || id.length === 0) throw invalidResponse("init", id);
    this.userId = id;
    if (this._reconnect && this._resumeToken === null) await this._refreshResumeToken();
    return id;
  }

  /**
   * `create [capability]`: a new group's id; the caller is its owner and first member.
   * @param {number} capability
   */
  async createGroup(capability) {
    const id = await this.call("create", [capability]);
    if (typeof id !== "string" || id.length === 0) throw invalidResponse("create", id);
    this._groups.set(id, { owner: this.userId, capability: Number.isInteger(capability) ? capability : null });
    return id;
  }

  /** @param {string} groupId @param {{signal?: AbortSignal|null, timeout?: number}} [options] */
  async joinGroup(groupId, options) {
    await this.call("join", [groupId], options);
    if (!this._groups.has(groupId)) this._groups.set(groupId, { owner: null, capability: null });
  }

  /** @param {string} groupId @param {{signal?: AbortSignal|null, timeout?: number}} [options] */
  async leaveGroup(groupId, options) {
    try {
      await this.call("leave", [groupId], options);
    } catch (error) {
      if (error instanceof SignalingError && (error.code === SignalingErrorCode.GroupNotFound || error.code === SignalingErrorCode.NotMember)) this._groups.delete(groupId);
      throw error;
    }
    this._groups.delete(groupId);
  }

  /** @param {string} groupId @param {{signal?: AbortSignal|null, timeout?: number}} [options] @returns {Promise<string[]>} */
  async getMembers(groupId, options) {
    const members = await this.call("get_members", [groupId], options);
    if (!Array.isArray(members) || !members.every((m) => typeof m === "string")) throw invalidResponse("get_members", members);
    return members;
  }

  /** @param {string} groupId @param {{signal?: AbortSignal|null, timeout?: number}} [options] @returns {Promise<GroupInfo>} */
  async getGroup(groupId, options) {
    const info = await this.call("get_group", [groupId], options);
    if (info === null || typeof info !== "object" || typeof info.id !== "string" || typeof info.owner !== "string"
      || !Number.isInteger(info.capability) || !Array.isArray(info.members) || !info.members.every((/** @type {any} */ m) => typeof m === "string")) {
      throw invalidResponse("get_group", info);
    }
    if (this.userId !== null && info.members.includes(this.userId)) this._groups.set(info.id, { owner: info.owner, capability: info.capability });
    return { id: info.id, owner: info.owner, capability: info.capability, members: info.members };
  }

  /**
   * `get_ice_servers []`: the STUN/TURN servers the signaling server hands out (an extension of the seed's protocol),
   * usually with time-limited TURN credentials (user name `EXPIRY:USERID`, see `turnRestExpiry`). In the browser's
   * `RTCIceServer` shape, ready for `RTCPeerConnection`; empty when the server has none. A server without the method
   * rejects with -32601 (MethodNotFound).
   * @param {{signal?: AbortSignal|null, timeout?: number}} [options]
   * @returns {Promise<RTCIceServer[]>}
   */
  async getIceServers(options) {
    const servers = await this.call("get_ice_servers", [], options);
    const isUrls = (/** @type {any} */ u) => typeof u === "string" || (Array.isArray(u) && u.every((x) => typeof x === "string"));
    const optional = (/** @type {any} */ v) => v === undefined || v === null || typeof v === "string";
    if (!Array.isArray(servers) || !servers.every((s) => s !== null && typeof s === "object" && isUrls(s.urls) && optional(s.username) && optional(s.credential))) {
      throw invalidResponse("get_ice_servers", servers);
    }
    return servers.map((s) => {
      /** @type {RTCIceServer} */
      const server = { urls: s.urls };
      if (typeof s.username === "string") server.username = s.username;
      if (typeof s.credential === "string") server.credential = s.credential;
      return server;
    });
  }

  /**
   * `relay [groupId, toUserId, data]`: whatever the target answered.
   * @param {string} groupId @param {string} toUserId @param {any} data
   * @param {{signal?: AbortSignal|null, timeout?: number}} [options]
   */
  relay(groupId, toUserId, data, options) {
    return this.call("relay", [groupId, toUserId, data], options);
  }

  /** Closes the connection (1000), also while reconnecting; pending calls fail with -32020. */
  close() {
    if (this._closed) return;
    clearTimeout(this._reconnectTimer);
    try {
      this._socket.close(1000);
    } catch {
      // Already closing.
    }
    this._onClosed("closed by this side");
  }

  /** @param {MessageEvent} event */
  _onMessage(event) {
    if (typeof event.data !== "string") {
      this._logger.warn("Signaling: dropped a binary message");
      return;
    }
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      this._logger.warn("Signaling: dropped a message that is not JSON");
      return;
    }
    if (message === null || typeof message !== "object" || Array.isArray(message)) {
      this._logger.warn("Signaling: dropped a message that is not a JSON object");
      return;
    }
    if (typeof message.method === "string") {
      if ("id" in message) this._onRequest(message);
      else this._onNotification(message);
      return;
    }
    if ("result" in message || "error" in message) {
      const call = typeof message.id === "number" ? this._pending.get(message.id) : undefined;
      if (!call) {
        this._logger.debug("Signaling: dropped a response to unknown call", message.id);
        return;
      }
      this._pending.delete(message.id);
      call.cleanup();
      if ("error" in message) {
        const error = message.error ?? {};
        call.reject(new SignalingError(
          Number.isInteger(error.code) ? error.code : SignalingErrorCode.InternalError,
          typeof error.message === "string" ? error.message : "The server answered with a malformed error.",
          error.data));
      } else {
        call.resolve(message.result);
      }
      return;
    }
    this._logger.warn("Signaling: dropped a message that is neither a request nor a response");
  }

  /** @param {any} message */
  _onRequest(message) {
    const { id, method, params } = message;
    if (method !== "relay") {
      this._respondError(id, SignalingErrorCode.MethodNotFound, `Unknown method '${method}'.`);
      return;
    }
    if (!Array.isArray(params) || params.length !== 3 || typeof params[0] !== "string" || typeof params[1] !== "string") {
      this._respondError(id, SignalingErrorCode.InvalidParams, "relay expects [groupId, fromUserId, data].");
      return;
    }
    const handler = this.relayHandler;
    if (!handler) {
      this._respondError(id, SignalingErrorCode.NoRelayHandler, "This client has no relay handler.");
      return;
    }
    const relay = { groupId: params[0], fromUserId: params[1], data: params[2] };
    Promise.resolve()
      .then(() => handler(relay))
      .then(
        (result) => this._send({ jsonrpc: "2.0", id, result: result === undefined ? null : result }),
        (error) => {
          if (error instanceof SignalingError) {
            this._respondError(id, error.code, error.message, error.data);
          } else {
            this._logger.warn("Signaling: the relay handler failed:", error);
            this._respondError(id, SignalingErrorCode.RelayHandlerFailed, "The relay handler failed.");
          }
        });
  }

  /** @param {any} message */
  _onNotification(message) {
    const { method, params } = message;
    if ((method === "member_joined" || method === "member_left")
      && Array.isArray(params) && typeof params[0] === "string" && typeof params[1] === "string") {
      this.dispatchEvent(new SignalingMemberEvent(method === "member_joined" ? "memberjoined" : "memberleft", params[0], params[1]));
      return;
    }
    this._logger.debug("Signaling: ignored notification", method);
  }

  /** @param {any} id @param {number} code @param {string} message @param {unknown} [data] */
  _respondError(id, code, message, data) {
    /** @type {any} */
    const error = { code, message };
    if (data !== undefined) error.data = data;
    this._send({ jsonrpc: "2.0", id, error });
  }

  /** @param {object} message */
  _send(message) {
    if (this._closed) return;
    try {
      this._socket.send(JSON.stringify(message));
    } catch (error) {
      this._logger.debug("Signaling: could not send a response:", messageOf(error));
    }
  }

  /** @param {string} reason */
  _onClosed(reason) {
    if (this._closed) return;
    this._closed = true;
    this._reconnecting = false;
    clearTimeout(this._reconnectTimer);
    this._failPending(SignalingErrorCode.ConnectionClosed, reason);
    this.dispatchEvent(new SignalingClosedEvent("close", reason));
  }

  /** @param {number} code @param {string} reason */
  _failPending(code, reason) {
    const pending = [...this._pending.values()];
    this._pending.clear();
    const what = code === SignalingErrorCode.Reconnecting ? "dropped" : "closed";
    for (const call of pending) {
      call.cleanup();
      call.reject(new SignalingError(code, `The signaling connection ${what}: ${reason}.`));
    }
  }
}

/** @param {string} method @param {unknown} value */
function invalidResponse(method, value) {
  return new SignalingError(SignalingErrorCode.InvalidResponse, `The answer to '${method}' has the wrong shape: ${truncate(JSON.stringify(value) ?? "undefined")}`);
}

// ---------------------------------------------------------------------------------------------------
// Identity: long-term ECDSA P-256 keys proven over each connection (docs/browser-client.md, "Identity")
// ---------------------------------------------------------------------------------------------------

/** The version byte of an Identity frame's payload. */
const IDENTITY_VERSION = 1;
/** The longest name in an Identity frame, in UTF-8 bytes. */
export const MAX_IDENTITY_NAME_BYTES = 256;
/** The first line of every identity transcript. */
const IDENTITY_TRANSCRIPT_TAG = "p2p-identity-v1";
const ECDSA_P256 = Object.freeze({ name: "ECDSA", namedCurve: "P-256" });
const ECDSA_SHA256 = Object.freeze({ name: "ECDSA", hash: "SHA-256" });
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** @param {Uint8Array} bytes */
function toHex(bytes) {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * The key id of a public key: the lowercase hex SHA-256 of its SubjectPublicKeyInfo DER (64 characters), what apps
 * pin and show.
 * @param {Uint8Array|ArrayBuffer} spki
 * @returns {Promise<string>}
 */
export async function identityKeyId(spki) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", toBytes(spki))));
}

/**
 * A member's long-term identity key: an ECDSA P-256 key pair (WebCrypto), its public key as SPKI DER and its key id.
 * Create one with `generate`, or import a saved one (`fromJwk`, `fromPkcs8`, `fromKeyPair`). The private key never
 * leaves WebCrypto unless it was made extractable (then `exportJwk`/`exportPkcs8` save it).
 */
export class P2pIdentity {
  /**
   * Use the static factories (they compute the SPKI and key id).
   * @param {CryptoKeyPair} keyPair @param {Uint8Array} spki @param {string} keyId
   */
  constructor(keyPair, spki, keyId) {
    /** The private key (signing). @type {CryptoKey} */
    this.privateKey = keyPair.privateKey;
    /** The public key (verifying). @type {CryptoKey} */
    this.publicKey = keyPair.publicKey;
    /** The public key as SubjectPublicKeyInfo DER (what the Identity frame carries). */
    this.spki = spki;
    /** Lowercase hex SHA-256 of `spki` (64 characters). */
    this.keyId = keyId;
    Object.freeze(this);
  }

  /**
   * A new random P-256 key pair.
   * @param {{extractable?: boolean}} [options] `extractable`: the private key may be exported (to save it; default false)
   * @returns {Promise<P2pIdentity>}
   */
  static async generate(options = {}) {
    const pair = /** @type {CryptoKeyPair} */ (await crypto.subtle.generateKey(ECDSA_P256, options.extractable === true, ["sign", "verify"]));
    return P2pIdentity.fromKeyPair(pair);
  }

  /**
   * An identity over an existing WebCrypto ECDSA P-256 key pair (e.g. kept in IndexedDB, which stores CryptoKeys as they are).
   * @param {CryptoKeyPair} keyPair
   * @returns {Promise<P2pIdentity>}
   */
  static async fromKeyPair(keyPair) {
    const algorithm = /** @type {EcKeyAlgorithm} */ (keyPair?.privateKey?.algorithm);
    if (!keyPair?.publicKey || algorithm?.name !== "ECDSA" || algorithm.namedCurve !== "P-256") {
      throw new TypeError("An identity key is an ECDSA P-256 key pair.");
    }
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keyPair.publicKey));
    return new P2pIdentity(keyPair, spki, await identityKeyId(spki));
  }

  /**
   * Imports a private key saved as a JWK (`{kty: "EC", crv: "P-256", x, y, d}`).
   * @param {JsonWebKey} jwk
   * @param {{extractable?: boolean}} [options] whether the imported private key may be exported again (default false)
   * @returns {Promise<P2pIdentity>}
   */
  static async fromJwk(jwk, options = {}) {
    if (jwk?.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.d !== "string") throw new TypeError("An identity JWK is a P-256 private key: {kty: \"EC\", crv: \"P-256\", x, y, d}.");
    const privateKey = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, d: jwk.d }, ECDSA_P256, options.extractable === true, ["sign"]);
    const publicKey = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, ECDSA_P256, true, ["verify"]);
    return P2pIdentity.fromKeyPair({ privateKey, publicKey });
  }

  /**
   * Imports a private key saved as PKCS#8 DER.
   * @param {Uint8Array|ArrayBuffer} pkcs8
   * @param {{extractable?: boolean}} [options] whether the imported private key may be exported again (default false)
   * @returns {Promise<P2pIdentity>}
   */
  static async fromPkcs8(pkcs8, options = {}) {
    // WebCrypto derives no public key from a private one: read x and y through a transient extractable copy.
    const bytes = /** @type {Uint8Array<ArrayBuffer>} */ (toBytes(pkcs8));
    const transient = await crypto.subtle.importKey("pkcs8", bytes, ECDSA_P256, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", transient);
    return P2pIdentity.fromJwk(jwk, options);
  }

  /** The private key as a JWK (needs an extractable key). @returns {Promise<JsonWebKey>} */
  async exportJwk() {
    return crypto.subtle.exportKey("jwk", this.privateKey);
  }

  /** The private key as PKCS#8 DER (needs an extractable key). @returns {Promise<Uint8Array>} */
  async exportPkcs8() {
    return new Uint8Array(await crypto.subtle.exportKey("pkcs8", this.privateKey));
  }

  /**
   * Signs bytes: ECDSA P-256 with SHA-256, IEEE P1363 form r||s (64 bytes).
   * @param {Uint8Array} data
   * @returns {Promise<Uint8Array>}
   */
  async sign(data) {
    return new Uint8Array(await crypto.subtle.sign(ECDSA_SHA256, this.privateKey, /** @type {Uint8Array<ArrayBuffer>} */ (data)));
  }
}

/**
 * What one side of a connection signs (and the other rebuilds): both member ids, both DTLS fingerprints, the group.
 * @typedef {object} IdentityTranscriptFields
 * @property {string} groupId
 * @property {string} name the signer's claimed name
 * @property {string} signerId the signer's member id
 * @property {string} peerId the other member's id
 * @property {string} signerFingerprint the signer's DTLS fingerprint, `"sha-256 AB:CD:…"` (see `sdpFingerprint`)
 * @property {string} peerFingerprint the other member's DTLS fingerprint
 */

/**
 * The identity transcript (docs/protocol.md): UTF-8 lines joined by "\n", no trailing newline.
 * @param {IdentityTranscriptFields} fields
 * @returns {string}
 */
export function identityTranscript(fields) {
  return [
    IDENTITY_TRANSCRIPT_TAG,
    `group:${fields.groupId}`,
    `name:${fields.name}`,
    `signer:${fields.signerId}`,
    `peer:${fields.peerId}`,
    `signer-fingerprint:${fields.signerFingerprint}`,
    `peer-fingerprint:${fields.peerFingerprint}`,
  ].join("\n");
}

/**
 * The DTLS fingerprint of a session description: its first `a=fingerprint:` line as `"<algorithm> <VALUE>"`
 * (algorithm lowercased, value uppercased), or null when it has none.
 * @param {string|null|undefined} sdp
 * @returns {string|null}
 */
export function sdpFingerprint(sdp) {
  const match = /^a=fingerprint:[ \t]*(\S+)[ \t]+(\S+)/m.exec(sdp ?? "");
  return match ? `${match[1].toLowerCase()} ${match[2].toUpperCase()}` : null;
}

/**
 * The payload of an Identity frame: version 1, then name, public key (SPKI DER) and signature (P1363), each with a
 * uint16 big-endian length.
 * @param {{name: string, publicKey: Uint8Array, signature: Uint8Array}} identity
 * @returns {Uint8Array}
 */
export function encodeIdentityPayload(identity) {
  const name = encoder.encode(identity.name);
  if (name.length > MAX_IDENTITY_NAME_BYTES) throw new RangeError(`An identity name is at most ${MAX_IDENTITY_NAME_BYTES} UTF-8 bytes.`);
  const parts = [name, toBytes(identity.publicKey), toBytes(identity.signature)];
  const payload = new Uint8Array(1 + parts.reduce((n, p) => n + 2 + p.length, 0));
  const view = new DataView(payload.buffer);
  payload[0] = IDENTITY_VERSION;
  let offset = 1;
  for (const part of parts) {
    if (part.length > 0xffff) throw new RangeError("An identity field is at most 65535 bytes.");
    view.setUint16(offset, part.length);
    payload.set(part, offset + 2);
    offset += 2 + part.length;
  }
  return payload;
}

/**
 * Reads an Identity frame's payload; throws a GroupError `IdentityRejected` (malformed) for anything but exactly version 1 and
 * three length-prefixed fields (a name of valid UTF-8 of at most 256 bytes, a key, a 64-byte signature).
 * The key is not checked here (`verifyIdentityPayload` does).
 * @param {Uint8Array} payload
 * @returns {{name: string, publicKey: Uint8Array, signature: Uint8Array}}
 */
export function decodeIdentityPayload(payload) {
  const malformed = (/** @type {string} */ why) => identityError(IdentityFailureReason.Malformed, `Malformed identity: ${why}.`);
  if (payload.length < 1 || payload[0] !== IDENTITY_VERSION) throw malformed(payload.length < 1 ? "empty" : `version ${payload[0]}, expected ${IDENTITY_VERSION}`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let offset = 1;
  const field = (/** @type {string} */ what) => {
    if (offset + 2 > payload.length) throw malformed(`the ${what}'s length is missing`);
    const length = view.getUint16(offset);
    if (offset + 2 + length > payload.length) throw malformed(`the ${what} (${length} bytes) runs past the end`);
    const bytes = payload.slice(offset + 2, offset + 2 + length);
    offset += 2 + length;
    return bytes;
  };
  const nameBytes = field("name");
  const publicKey = field("public key");
  const signature = field("signature");
  if (offset !== payload.length) throw malformed(`${payload.length - offset} trailing bytes`);
  if (nameBytes.length > MAX_IDENTITY_NAME_BYTES) throw malformed(`the name has ${nameBytes.length} bytes (at most ${MAX_IDENTITY_NAME_BYTES})`);
  if (signature.length !== 64) throw malformed(`the signature has ${signature.length} bytes, expected 64 (P-256, IEEE P1363)`);
  let name;
  try {
    name = strictDecoder.decode(nameBytes);
  } catch {
    throw malformed("the name is not UTF-8");
  }
  return { name, publicKey, signature };
}

/**
 * A whole Identity frame (version 1, kind 5, final, message id 0, one fragment) around `payload`.
 * @param {Uint8Array} payload
 */
export function encodeIdentityFrame(payload) {
  const frame = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  frame[0] = (FRAME_VERSION << 4) | FrameKind.Identity;
  frame[1] = FINAL_FLAG;
  new DataView(frame.buffer).setUint32(6, payload.length);
  frame.set(payload, FRAME_HEADER_SIZE);
  return frame;
}

/**
 * The payload of an Identity frame if `frame` is one (kind 5, version 1), else null. Throws `IdentityRejected` (Malformed)
 * for an Identity frame with other flags, a message id other than 0 or a length that does not add up.
 * @param {Uint8Array} frame
 * @returns {Uint8Array|null}
 */
export function identityFramePayload(frame) {
  if (frame.length < 1 || frame[0] !== ((FRAME_VERSION << 4) | FrameKind.Identity)) return null;
  const malformed = (/** @type {string} */ why) => identityError(IdentityFailureReason.Malformed, `Malformed identity frame: ${why}.`);
  if (frame.length < FRAME_HEADER_SIZE) throw malformed(`${frame.length} bytes, shorter than a frame header`);
  const view = new DataView(frame.buffer, frame.byteOffset, FRAME_HEADER_SIZE);
  if (frame[1] !== FINAL_FLAG) throw malformed(`flags 0x${frame[1].toString(16)}, expected 0x01 (one final fragment)`);
  if (view.getUint32(2) !== 0) throw malformed(`message id ${view.getUint32(2)}, expected 0`);
  if (view.getUint32(6) !== frame.length - FRAME_HEADER_SIZE) throw malformed(`total length ${view.getUint32(6)} but ${frame.length - FRAME_HEADER_SIZE} payload bytes`);
  return frame.subarray(FRAME_HEADER_SIZE);
}

/**
 * Signs the transcript of one connection with `identity` and returns the Identity payload to send.
 * @param {P2pIdentity} identity
 * @param {IdentityTranscriptFields} fields `name` is the name sent
 * @returns {Promise<Uint8Array>}
 */
export async function signIdentityPayload(identity, fields) {
  const signature = await identity.sign(encoder.encode(identityTranscript(fields)));
  return encodeIdentityPayload({ name: fields.name, publicKey: identity.spki, signature });
}

/**
 * A peer's identity, verified over one connection.
 * @typedef {object} VerifiedIdentity
 * @property {string} name the name it claims (only as trustworthy as the trust policy that accepted it)
 * @property {string} keyId lowercase hex SHA-256 of its public key's SPKI
 * @property {Uint8Array} publicKey SubjectPublicKeyInfo DER
 * @property {CryptoKey} key the public key
 */

/**
 * Verifies a received Identity payload against the transcript the receiver rebuilds (its `name` comes from the
 * payload). Throws a GroupError: `IdentityRejected` (Malformed) (bad lengths, trailing bytes, other version, a key that is not
 * P-256) or `IdentityRejected` (BadSignature).
 * @param {Uint8Array} payload
 * @param {Omit<IdentityTranscriptFields, "name">} fields as the signer saw them: `signerId` the peer, `signerFingerprint` from the remote SDP
 * @returns {Promise<VerifiedIdentity>}
 */
export async function verifyIdentityPayload(payload, fields) {
  const { name, publicKey, signature } = decodeIdentityPayload(payload);
  let key;
  try {
    key = await crypto.subtle.importKey("spki", /** @type {Uint8Array<ArrayBuffer>} */ (publicKey), ECDSA_P256, true, ["verify"]);
  } catch (error) {
    throw identityError(IdentityFailureReason.Malformed, `Malformed identity: the public key is not an ECDSA P-256 SubjectPublicKeyInfo (${messageOf(error)}).`);
  }
  const transcript = encoder.encode(identityTranscript({ ...fields, name }));
  const valid = await crypto.subtle.verify(ECDSA_SHA256, key, /** @type {Uint8Array<ArrayBuffer>} */ (signature), transcript);
  if (!valid) {
    throw identityError(IdentityFailureReason.BadSignature,
      `Bad identity signature for "${name}": it does not verify over this connection's transcript (group, member ids, DTLS fingerprints) — a forged identity or a man in the middle.`);
  }
  return { name, keyId: await identityKeyId(publicKey), publicKey, key };
}

/**
 * What a trust policy is asked about: a peer's verified identity, and where it was seen.
 * @typedef {object} IdentityClaim
 * @property {string} name
 * @property {string} keyId
 * @property {Uint8Array} publicKey SPKI DER
 * @property {CryptoKey} key
 * @property {string} memberId the member that proved it
 * @property {string} groupId
 */

/**
 * Decides whether to trust a verified identity: true (or a Promise of true) accepts it; false, or a thrown error
 * (whose message becomes the reason), refuses it and closes the connection.
 * @callback TrustPolicy
 * @param {IdentityClaim} claim
 * @returns {boolean|Promise<boolean>}
 */

/**
 * Where trust on first use remembers which key id belongs to which name (get: the key id or null/undefined).
 * @typedef {object} TrustStore
 * @property {(name: string) => (string|null|undefined|Promise<string|null|undefined>)} get
 * @property {(name: string, keyId: string) => (void|Promise<void>)} set
 */

/** A TrustStore in memory (for one page's lifetime). */
export class MemoryTrustStore {
  /** @param {Iterable<[string, string]>} [entries] names and key ids known already */
  constructor(entries = []) {
    /** @type {Map<string, string>} */
    this.entries = new Map(entries);
  }

  /** @param {string} name */
  get(name) { return this.entries.get(name) ?? null; }

  /** @param {string} name @param {string} keyId */
  set(name, keyId) { this.entries.set(name, keyId); }
}

/** A TrustStore in `localStorage` (or another Storage), one item per name under a prefix: it outlives the page. */
export class LocalStorageTrustStore {
  /** @param {string} [prefix] item names are prefix + name (default "p2p-trust:") @param {Storage} [storage] default `localStorage` */
  constructor(prefix = "p2p-trust:", storage = globalThis.localStorage) {
    this.prefix = prefix;
    this.storage = storage;
  }

  /** @param {string} name */
  get(name) { return this.storage.getItem(this.prefix + name); }

  /** @param {string} name @param {string} keyId */
  set(name, keyId) { this.storage.setItem(this.prefix + name, keyId); }
}

/** Ready-made trust policies (`identity.trust`). */
export const TrustPolicy = Object.freeze({
  /**
   * Trusts every identity whose signature verifies (the default): the connection is bound to the key it names, but
   * anyone may claim any name.
   * @returns {TrustPolicy}
   */
  acceptAnyVerified: () => () => true,

  /**
   * The app decides, asynchronously if it likes (e.g. asks the user).
   * @param {TrustPolicy} decide
   * @returns {TrustPolicy}
   */
  callback: (decide) => {
    if (typeof decide !== "function") throw new TypeError("TrustPolicy.callback needs a function.");
    return decide;
  },

  /**
   * Pinned keys: a name → key id map (a Map or an object); unknown names and other keys are refused.
   * @param {Map<string, string>|Record<string, string>} pins
   * @returns {TrustPolicy}
   */
  pinned: (pins) => {
    const map = pins instanceof Map ? new Map(pins) : new Map(Object.entries(pins));
    return (claim) => {
      const pinned = map.get(claim.name);
      if (pinned === undefined) throw new Error(`no key is pinned for the name "${claim.name}"`);
      if (pinned.toLowerCase() !== claim.keyId) throw new Error(`the key id ${claim.keyId} is not the one pinned for "${claim.name}" (${pinned})`);
      return true;
    };
  },

  /**
   * Trust on first use: the first key seen for a name is remembered in `store`; a later different key for that
   * name is refused.
   * @param {TrustStore} [store] default: a new MemoryTrustStore
   * @returns {TrustPolicy}
   */
  trustOnFirstUse: (store = new MemoryTrustStore()) => {
    /** @param {IdentityClaim} claim */
    const decide = async (claim) => {
      const known = await store.get(claim.name);
      if (known === null || known === undefined) {
        await store.set(claim.name, claim.keyId);
        return true;
      }
      if (known !== claim.keyId) throw new Error(`"${claim.name}" was first seen with key id ${known}, and now comes with ${claim.keyId}`);
      return true;
    };
    // One claim at a time: two first connections of one name cannot both be "first".
    /** @type {Promise<unknown>} */
    let queue = Promise.resolve();
    return (claim) => {
      const result = queue.then(() => decide(claim));
      queue = result.catch(() => {});
      return result;
    };
  },
});

/**
 * This member's identity settings (`GroupOptions.identity`, or `P2pOptions.identity` for every group).
 * @typedef {object} IdentityOptions
 * @property {P2pIdentity|null} [key] this member's key pair; without one, no Identity frame is sent (and none is required)
 * @property {string} [name] the name sent with the key (default ""; at most 256 UTF-8 bytes)
 * @property {TrustPolicy|null} [trust] whom to trust (default `TrustPolicy.acceptAnyVerified()`); asked about every verified peer identity, with or without a key of one's own
 * @property {boolean} [requirePeerIdentity] only connect to members that prove a trusted identity (default true with a key; a side without a key never requires one)
 */

/**
 * @typedef {object} ResolvedIdentity
 * @property {P2pIdentity|null} key
 * @property {string} name
 * @property {TrustPolicy} trust
 * @property {boolean} required
 */

/**
 * Checks identity options (synchronously, so bad ones throw where they are passed).
 * @param {IdentityOptions|null|undefined} options
 * @returns {ResolvedIdentity}
 */
function resolveIdentity(options) {
  const key = options?.key ?? null;
  if (key !== null && !(key instanceof P2pIdentity)) throw new TypeError("identity.key is a P2pIdentity (P2pIdentity.generate(), fromJwk, fromPkcs8, fromKeyPair).");
  const name = options?.name ?? "";
  if (typeof name !== "string") throw new TypeError("identity.name is a string.");
  if (encoder.encode(name).length > MAX_IDENTITY_NAME_BYTES) throw new RangeError(`identity.name is at most ${MAX_IDENTITY_NAME_BYTES} UTF-8 bytes.`);
  const trust = options?.trust ?? TrustPolicy.acceptAnyVerified();
  if (typeof trust !== "function") throw new TypeError("identity.trust is a TrustPolicy function (see TrustPolicy).");
  const require = options?.requirePeerIdentity;
  if (require !== undefined && typeof require !== "boolean") throw new TypeError("identity.requirePeerIdentity is a boolean.");
  if (require === true && key === null) throw new RangeError("identity.requirePeerIdentity needs identity.key: a member without a key never requires one.");
  return { key, name, trust, required: key !== null && require !== false };
}

// ---------------------------------------------------------------------------------------------------
// Members and events
// ---------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------
// Group messaging over one connected channel (P2p.Core's LinkMessenger)
// ---------------------------------------------------------------------------------------------------

class Messenger {
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

// ---------------------------------------------------------------------------------------------------
// The connection to one member (P2p.Core's PeerLink and LinkAttempt)
// ---------------------------------------------------------------------------------------------------

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
class PeerLink {
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

  /** Verifies the remote's Identity payload over this connection's transcript and asks the trust policy. @param {Attempt} attempt @param {Uint8Array} payload */
  async _verifyIdentity(attempt, payload) {
    const group = this._group;
    try {
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

// ---------------------------------------------------------------------------------------------------
// Relayed members (docs/protocol.md, "Relayed members (extension)"): when two members cannot connect directly, they
// exchange their messages through a third member connected to both. Route frames (kind 6), the relay role
// (forwarding), probes and routes, relayed sending (seq, fragments, acks, resending) and receiving (dedup, origin
// signatures). Everything of the extension is in this section; the rest of the client only asks the Router.
// ---------------------------------------------------------------------------------------------------

/** The type of a route frame (byte 1). */
export const RouteFrameType = Object.freeze({ Data: 1, Ack: 2, Probe: 3, ProbeReply: 4, Unreachable: 5 });

/** Why a route frame could not be delivered (an Unreachable frame's reason). */
export const UnreachableReason = Object.freeze({
  /** A relay cannot reach the destination (no connected link, forwarding off, too large, the send failed). */
  NoRoute: 1,
  /** The destination does not accept the origin's identity, or requires one that was not proven. */
  Refused: 2,
  /** The destination does not know the origin as a member of the group. */
  NotMember: 3,
  /** The destination got a message whose signature does not verify. */
  BadSignature: 4,
});

/** Byte 0 of every route frame: version 1, kind 6. */
const ROUTE_FRAME_BYTE0 = (FRAME_VERSION << 4) | 6;
/** Byte 2: set by the relay on the second hop. */
const ROUTE_FORWARDED = 0x01;
/** The largest route frame (one channel message; route frames are never split by the message framing). */
export const MAX_ROUTE_FRAME_SIZE = 65536;
/** The signature of relayed Data and Acks: ECDSA P-256, IEEE P1363. */
const ROUTE_SIGNATURE_BYTES = 64;
/** Frames a relay holds for one destination while that channel is full, in bytes; beyond, it answers NoRoute. */
const MAX_FORWARD_BACKLOG = 16 * 1024 * 1024;
const ROUTED_DATA_TAG = "p2p-routed-v1";
const ROUTED_ACK_TAG = "p2p-routed-ack-v1";
const ROUTED_IDENTITY_TAG = "p2p-identity-routed-v1";

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
function resolveRelaying(options) {
  const result = { enabled: true, forward: true, probeTimeout: 2000, retryInterval: 5000, ...options };
  if (typeof result.enabled !== "boolean" || typeof result.forward !== "boolean") throw new TypeError("relaying.enabled and relaying.forward are booleans.");
  if (!(result.probeTimeout > 0) || !(result.retryInterval > 0)) throw new RangeError("relaying.probeTimeout and relaying.retryInterval must be positive.");
  return result;
}

/**
 * A decoded route frame. Which body fields are set depends on `type`.
 * @typedef {object} RouteFrame
 * @property {number} type a `RouteFrameType`
 * @property {boolean} forwarded set by the relay on the second hop
 * @property {string} origin the member the frame is from
 * @property {string} destination the member the frame is for
 * @property {number} [seq] Data, Ack: the relayed message's sequence number
 * @property {number} [offset] Data: where the fragment starts in the message
 * @property {Uint8Array} [signature] Data, Ack: the origin's signature (empty without a key, and on Data fragments but the final one)
 * @property {Uint8Array} [frame] Data: the message frame inside (10-byte header of "Frames" and the fragment)
 * @property {number} [probeId] Probe, ProbeReply
 * @property {Uint8Array} [proof] Probe, ProbeReply: an Identity payload over the routed transcript, or empty
 * @property {number} [reference] Unreachable: the seq or probe id concerned, or 0
 * @property {number} [reason] Unreachable: an `UnreachableReason`
 */

/**
 * Encodes a route frame (docs/protocol.md, "Route frame").
 * @param {RouteFrame} f
 * @returns {Uint8Array}
 */
export function encodeRouteFrame(f) {
  const origin = encoder.encode(f.origin);
  const destination = encoder.encode(f.destination);
  if (origin.length < 1 || origin.length > 255 || destination.length < 1 || destination.length > 255) throw new RangeError("Route frame member ids are 1 to 255 UTF-8 bytes.");
  /** @type {(number|Uint8Array|[Uint8Array])[]} numbers are u32; [bytes] is a u16-prefixed field; bytes are raw */
  let body;
  switch (f.type) {
    case RouteFrameType.Data: body = [f.seq ?? 0, f.offset ?? 0, [f.signature ?? EMPTY], f.frame ?? EMPTY]; break;
    case RouteFrameType.Ack: body = [f.seq ?? 0, [f.signature ?? EMPTY]]; break;
    case RouteFrameType.Probe:
    case RouteFrameType.ProbeReply: body = [f.probeId ?? 0, [f.proof ?? EMPTY]]; break;
    case RouteFrameType.Unreachable: body = [f.reference ?? 0, new Uint8Array([f.reason ?? 0])]; break;
    default: throw new RangeError(`Unknown route frame type ${f.type}.`);
  }
  let length = 4 + 1 + origin.length + 1 + destination.length;
  for (const part of body) length += typeof part === "number" ? 4 : Array.isArray(part) ? 2 + part[0].length : part.length;
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  bytes[0] = ROUTE_FRAME_BYTE0;
  bytes[1] = f.type;
  bytes[2] = f.forwarded ? ROUTE_FORWARDED : 0;
  bytes[3] = 0;
  let at = 4;
  for (const id of [origin, destination]) {
    bytes[at] = id.length;
    bytes.set(id, at + 1);
    at += 1 + id.length;
  }
  for (const part of body) {
    if (typeof part === "number") {
      view.setUint32(at, part >>> 0);
      at += 4;
    } else if (Array.isArray(part)) {
      if (part[0].length > 0xffff) throw new RangeError("A route frame field is at most 65535 bytes.");
      view.setUint16(at, part[0].length);
      bytes.set(part[0], at + 2);
      at += 2 + part[0].length;
    } else {
      bytes.set(part, at);
      at += part.length;
    }
  }
  return bytes;
}

/**
 * Decodes a route frame; throws an Error saying what is wrong for anything but a well-formed frame (another version,
 * an unknown type, unknown flags or reserved bits, empty or truncated ids, a body that does not match its type —
 * trailing bytes included — or, in Data, a message frame whose header is not one of "Frames", kinds 1-4).
 * @param {Uint8Array} bytes
 * @returns {RouteFrame}
 */
export function decodeRouteFrame(bytes) {
  if (bytes.length < 4 || bytes[0] !== ROUTE_FRAME_BYTE0) throw new Error("not a version 1 route frame");
  const type = bytes[1];
  if (type < RouteFrameType.Data || type > RouteFrameType.Unreachable) throw new Error(`unknown route frame type ${type}`);
  if ((bytes[2] & ~ROUTE_FORWARDED) !== 0 || bytes[3] !== 0) throw new Error(`unknown flags 0x${bytes[2].toString(16)} or reserved byte ${bytes[3]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 4;
  const need = (/** @type {number} */ n, /** @type {string} */ what) => {
    if (at + n > bytes.length) throw new Error(`truncated ${what}`);
  };
  const id = (/** @type {string} */ what) => {
    need(1, what);
    const length = bytes[at];
    if (length === 0) throw new Error(`empty ${what}`);
    need(1 + length, what);
    let text;
    try {
      text = strictDecoder.decode(bytes.subarray(at + 1, at + 1 + length));
    } catch {
      throw new Error(`the ${what} is not UTF-8`);
    }
    at += 1 + length;
    return text;
  };
  const u32 = (/** @type {string} */ what) => {
    need(4, what);
    const value = view.getUint32(at);
    at += 4;
    return value;
  };
  const field = (/** @type {string} */ what) => {
    need(2, what);
    const length = view.getUint16(at);
    need(2 + length, what);
    const value = bytes.slice(at + 2, at + 2 + length);
    at += 2 + length;
    return value;
  };
  /** @type {RouteFrame} */
  const f = { type, forwarded: (bytes[2] & ROUTE_FORWARDED) !== 0, origin: id("origin id"), destination: id("destination id") };
  switch (type) {
    case RouteFrameType.Data: {
      f.seq = u32("seq");
      f.offset = u32("offset");
      f.signature = field("signature");
      f.frame = bytes.subarray(at);
      at = bytes.length;
      const header = readFrameHeader(f.frame);
      if (header === null) throw new Error("the message frame inside is not a Broadcast, Request, Reply or Error frame");
      const end = f.offset + f.frame.length - FRAME_HEADER_SIZE;
      if (end > header.totalLength || header.final !== (end === header.totalLength)) {
        throw new Error(`the fragment (offset ${f.offset}, ${f.frame.length - FRAME_HEADER_SIZE} bytes${header.final ? ", final" : ""}) does not fit the message's ${header.totalLength} bytes`);
      }
      break;
    }
    case RouteFrameType.Ack:
      f.seq = u32("seq");
      f.signature = field("signature");
      break;
    case RouteFrameType.Probe:
    case RouteFrameType.ProbeReply:
      f.probeId = u32("probe id");
      f.proof = field("identity proof");
      break;
    default:
      f.reference = u32("reference");
      need(1, "reason");
      f.reason = bytes[at++];
      if (f.reason < UnreachableReason.NoRoute || f.reason > UnreachableReason.BadSignature) throw new Error(`unknown Unreachable reason ${f.reason}`);
  }
  if (at !== bytes.length) throw new Error(`${bytes.length - at} trailing bytes`);
  return f;
}

/**
 * What the origin of a relayed message signs (on its final fragment): this text, then the whole message's bytes.
 * @param {{groupId: string, origin: string, destination: string, seq: number, kind: number, messageId: number}} fields
 */
export function routedDataTranscript(fields) {
  return `${ROUTED_DATA_TAG}\ngroup:${fields.groupId}\norigin:${fields.origin}\ndestination:${fields.destination}\nseq:${fields.seq}\nkind:${fields.kind}\nid:${fields.messageId}\n`;
}

/**
 * What the acknowledging member signs in an Ack (`origin` is the acknowledging member, `destination` the message's origin).
 * @param {{groupId: string, origin: string, destination: string, seq: number}} fields
 */
export function routedAckTranscript(fields) {
  return `${ROUTED_ACK_TAG}\ngroup:${fields.groupId}\norigin:${fields.origin}\ndestination:${fields.destination}\nseq:${fields.seq}`;
}

/**
 * The transcript of a routed identity proof (in Probe and ProbeReply): as the direct one, without fingerprints.
 * @param {{groupId: string, name: string, signerId: string, peerId: string}} fields
 */
export function routedIdentityTranscript(fields) {
  return [ROUTED_IDENTITY_TAG, `group:${fields.groupId}`, `name:${fields.name}`, `signer:${fields.signerId}`, `peer:${fields.peerId}`].join("\n");
}

/** @param {string} text @param {Uint8Array} bytes */
function textThenBytes(text, bytes) {
  const head = encoder.encode(text);
  const all = new Uint8Array(head.length + bytes.length);
  all.set(head);
  all.set(bytes, head.length);
  return all;
}

/** @param {CryptoKey} key @param {Uint8Array} signature @param {Uint8Array} data */
async function verifySignature(key, signature, data) {
  if (signature.length !== ROUTE_SIGNATURE_BYTES) return false;
  try {
    return await crypto.subtle.verify(ECDSA_SHA256, key, /** @type {Uint8Array<ArrayBuffer>} */ (signature), /** @type {Uint8Array<ArrayBuffer>} */ (data));
  } catch {
    return false;
  }
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
 * What this member knows about relaying with one other member: the route to it, the messages on their way, the
 * messages coming from it.
 */
class RouteState {
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
    /** The message being received (one per origin). @type {{seq: number, kind: number, messageId: number, totalLength: number, buffer: Uint8Array|null, received: number}|null} */
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
    this.deliveredAbove.add(seq);
    while (this.deliveredAbove.delete(this.deliveredThrough + 1)) this.deliveredThrough++;
  }
}

/**
 * One group's relaying: the relay role (forwarding route frames between two members connected to this one) and the
 * endpoint role (finding a route to a member whose direct connection failed, sending and receiving through it).
 */
class Router {
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
      partial = { seq, kind: header.kind, messageId: header.messageId, totalLength: header.totalLength, buffer: tooLarge ? null : new Uint8Array(header.totalLength), received: 0 };
      state.partial = partial;
    } else if (partial === null || partial.seq !== seq || partial.kind !== header.kind || partial.messageId !== header.messageId
      || partial.totalLength !== header.totalLength || partial.received !== offset) {
      this._log.debug(`Dropped a relayed fragment from member ${origin} (seq ${seq}, offset ${offset}): it does not continue the message being received`);
      return;
    }
    partial.buffer?.set(fragment, offset);
    partial.received = offset + fragment.length;
    if (!header.final) return;
    state.partial = null;
    const complete = { ...partial, signature: frame.signature ?? EMPTY, link };
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

// ---------------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------------

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
function groupOptions(options, defaults) {
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

  /** Leaves the group: tells the server, closes every connection, fails pending requests with `GroupClosed`. */
  async leave() {
    if (this._closing) return this._closed.promise;
    this._closing = true;
    this._logger.info(`Leaving group ${this.id}`);
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

  /** The signaling connection is back (same id, same memberships): interrupted links restart ICE at once. */
  _onSignalingReconnected() {
    for (const link of this._links.values()) link.nudgeRecovery();
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

// ---------------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------------

/**
 * Checks the ICE part of the options up front, with clearer messages than RTCPeerConnection's.
 * @param {RTCConfiguration} configuration
 * @param {boolean} fromSignaling
 */
function checkIceConfiguration(configuration, fromSignaling) {
  const policy = configuration.iceTransportPolicy;
  if (policy !== "all" && policy !== "relay") throw new RangeError(`iceTransportPolicy must be "all" or "relay", not ${JSON.stringify(policy)}.`);
  const servers = configuration.iceServers ?? [];
  if (!Array.isArray(servers)) throw new TypeError("iceServers must be an array of {urls, username, credential}.");
  let anyTurn = false;
  for (const server of servers) {
    const urls = urlList(server?.urls);
    if (urls.length === 0 || !urls.every((u) => typeof u === "string")) throw new TypeError(`An ICE server needs urls (a string or an array of strings): ${truncate(JSON.stringify(server) ?? "undefined")}`);
    for (const url of urls) {
      const scheme = /^(stuns?|turns?):[^/]/i.exec(url)?.[1]?.toLowerCase();
      if (!scheme) throw new SyntaxError(`'${url}' is not a STUN/TURN URL (stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp], turns:...).`);
      if (scheme.startsWith("turn")) {
        anyTurn = true;
        if (typeof server.username !== "string" || typeof server.credential !== "string") {
          throw new TypeError(`'${url}' is a TURN server: it needs a username and a credential.`);
        }
      }
    }
  }
  if (policy === "relay" && !anyTurn && !fromSignaling) {
    throw new RangeError(`iceTransportPolicy "relay" needs a turn: or turns: server in iceServers, or iceServersFromSignaling.`);
  }
}

/**
 * @typedef {object} P2pOptions
 * @property {RTCIceServer[]} [iceServers] STUN/TURN servers for the peer connections, the browser's shape `{urls, username, credential}` (default: none — host candidates only)
 * @property {boolean} [iceServersFromSignaling] also ask the signaling server for STUN/TURN servers (`get_ice_servers`, typically with time-limited TURN credentials) when joining, fetch fresh ones in the background before they expire, and use them after `iceServers` for every new peer connection; a server without the method fails `join` (default false)
 * @property {RTCIceTransportPolicy} [iceTransportPolicy] `"all"` (default) or `"relay"`: TURN relays only — needs a `turn:`/`turns:` server in `iceServers` or `iceServersFromSignaling`
 * @property {RTCConfiguration} [rtcConfiguration] the whole RTCPeerConnection configuration (`iceServers` and `iceTransportPolicy` above win)
 * @property {number} [connectTimeout] one connection attempt, start to open channel, ms (default 15 000)
 * @property {number} [recoveryTimeout] how long an interrupted connection may take to recover (through ICE restarts) before the member is failed, ms (default 15 000)
 * @property {number} [iceRestartInterval] while interrupted, how long one ICE restart may take before another, ms (default 4 000)
 * @property {number} [retryInitialDelay] first retry delay after a failure, doubled per further failure, ms (default 500)
 * @property {number} [retryMaxDelay] the longest retry delay, ms (default 30 000)
 * @property {number} [retryJitter] random spread of retry delays, 0..1 (default 0.2)
 * @property {number} [leaveTimeout] how long leaving waits for the server, ms (default 5 000)
 * @property {number} [requestTimeout] per signaling call, ms (default 40 000)
 * @property {AccessToken} [accessToken] for a server that requires authentication: a token, or a function returning one (or a Promise of one), asked before every (re)connection and sent as the `access_token` query parameter
 * @property {(candidate: RTCIceCandidate) => boolean} [candidateFilter] which local ICE candidates are sent to other members (default: all)
 * @property {Logger} [logger] where the client logs (default: warnings and errors to the console)
 * @property {GroupOptions} [defaultGroupOptions] defaults for every group's options
 * @property {IdentityOptions} [identity] this member's identity in every group (shorthand for `defaultGroupOptions.identity`)
 */

/**
 * One member's presence (P2p.Core's `IService`): one signaling connection, and the groups joined through it.
 * Event: `signalingclosed` (SignalingClosedEvent) when the signaling connection closes; groups keep their
 * open connections, members not connected are removed.
 */
export class P2pService extends EventTarget {
  /**
   * Connects to the signaling server (nothing else is sent until `join` or a group call).
   * @param {string} [url] the WebSocket endpoint (default: where this module was served from, see `defaultSignalingUrl`)
   * @param {P2pOptions} [options]
   */
  static async connect(url = defaultSignalingUrl(), options = {}) {
    const signaling = await SignalingChannel.connect(url, { requestTimeout: options.requestTimeout, logger: options.logger, accessToken: options.accessToken });
    try {
      return new P2pService(signaling, options);
    } catch (error) {
      signaling.close(); // bad options: do not leave the connection open
      throw error;
    }
  }

  /**
   * A service over an open signaling channel (owned by the service from now on).
   * @param {SignalingChannel} signaling
   * @param {P2pOptions} [options]
   */
  constructor(signaling, options = {}) {
    super();
    const o = {
      connectTimeout: options.connectTimeout ?? 15000,
      recoveryTimeout: options.recoveryTimeout ?? 15000,
      iceRestartInterval: options.iceRestartInterval ?? 4000,
      retryInitialDelay: options.retryInitialDelay ?? 500,
      retryMaxDelay: options.retryMaxDelay ?? 30000,
      retryJitter: options.retryJitter ?? 0.2,
      leaveTimeout: options.leaveTimeout ?? 5000,
      candidateFilter: options.candidateFilter ?? null,
      defaultGroupOptions: options.identity === undefined ? options.defaultGroupOptions ?? {} : { ...options.defaultGroupOptions, identity: options.identity },
    };
    if (!(o.connectTimeout > 0)) throw new RangeError("connectTimeout must be positive.");
    if (!(o.recoveryTimeout > 0)) throw new RangeError("recoveryTimeout must be positive.");
    if (!(o.iceRestartInterval > 0)) throw new RangeError("iceRestartInterval must be positive.");
    if (!(o.retryInitialDelay >= 0)) throw new RangeError("retryInitialDelay must not be negative.");
    if (!(o.retryMaxDelay >= o.retryInitialDelay)) throw new RangeError("retryMaxDelay must be at least retryInitialDelay.");
    if (!(o.retryJitter >= 0 && o.retryJitter <= 1)) throw new RangeError("retryJitter must be between 0 and 1.");
    if (!(o.leaveTimeout >= 0)) throw new RangeError("leaveTimeout must not be negative.");
    groupOptions(o.defaultGroupOptions, {}); // validates
    this._options = Object.freeze(o);
    /** @type {RTCConfiguration} */
    this._baseRtcConfiguration = {
      ...options.rtcConfiguration,
      iceServers: options.iceServers ?? options.rtcConfiguration?.iceServers ?? [],
      iceTransportPolicy: options.iceTransportPolicy ?? options.rtcConfiguration?.iceTransportPolicy ?? "all",
    };
    this._iceServersFromSignaling = options.iceServersFromSignaling === true;
    checkIceConfiguration(this._baseRtcConfiguration, this._iceServersFromSignaling);
    /** The servers from `get_ice_servers` (when `iceServersFromSignaling`). @type {RTCIceServer[]} */
    this._signaledIceServers = [];
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this._iceRefreshTimer = undefined;
    this._logger = options.logger ?? defaultLogger;
    this._signaling = signaling;
    /** @type {Map<string, Group>} */
    this._groups = new Map();
    /** @type {Promise<string>|null} */
    this._joining = null;
    /** @type {string|null} */
    this._userId = null;
    this._closing = false;
    this._closed = new Deferred();
    signaling.relayHandler = (relay) => this._onRelay(relay);
    signaling.addEventListener("memberjoined", (event) => {
      const e = /** @type {SignalingMemberEvent} */ (event);
      this._groups.get(e.groupId)?._onMemberJoined(e.userId);
    });
    signaling.addEventListener("memberleft", (event) => {
      const e = /** @type {SignalingMemberEvent} */ (event);
      this._groups.get(e.groupId)?._removeMember(e.userId, "it left the group");
    });
    signaling.addEventListener("close", (event) => this._onSignalingClosed(/** @type {SignalingClosedEvent} */ (event).reason));
    signaling.addEventListener("reconnecting", (event) =>
      this.dispatchEvent(new SignalingReconnectingEvent("signalingreconnecting", /** @type {SignalingReconnectingEvent} */ (event).reason)));
    signaling.addEventListener("reconnected", () => {
      for (const group of this._groups.values()) group._onSignalingReconnected();
      this.dispatchEvent(new Event("signalingreconnected"));
    });
  }

  /** This member's user id once joined (`init`), else null. */
  get userId() { return this._userId; }

  /** `{ id }` once joined, else null (the .NET `ServiceInfo`). */
  get info() { return this._userId === null ? null : { id: this._userId }; }

  /** The groups this member is in. @returns {Group[]} */
  get groups() { return [...this._groups.values()]; }

  /** The signaling channel (owned by the service). */
  get signaling() { return this._signaling; }

  /** The group with this id, or null. @param {string} groupId */
  getGroup(groupId) { return this._groups.get(groupId) ?? null; }

  /**
   * Joins the signaling service (`init`): resolves with `{ id }`, this member's user id. Idempotent; the
   * group calls do it for you.
   * @returns {Promise<{id: string}>}
   */
  async join() {
    this._throwIfClosed();
    if (this._userId !== null) return { id: this._userId };
    this._joining ??= (async () => {
      const id = this._signaling.userId ?? await this._signaling.init();
      if (this._iceServersFromSignaling) await this._fetchIceServers(true);
      return id;
    })();
    try {
      const id = await this._joining;
      this._userId = id;
      this._logger.info(`Joined the signaling service as ${id}`);
      return { id };
    } catch (error) {
      this._joining = null;
      throw error;
    }
  }

  /**
   * Creates a group; this member is its owner and first member.
   * @param {number} [capability] `GroupCapability` flags (default All)
   * @param {GroupOptions} [options]
   * @returns {Promise<Group>}
   */
  async createGroup(capability = GroupCapability.All, options = undefined) {
    if (!(Number.isInteger(capability) && capability >= 0 && capability <= GroupCapability.All)) {
      throw new RangeError("A capability is a combination of the four GroupCapability flags (0..15).");
    }
    const resolved = groupOptions(options, this._options.defaultGroupOptions);
    const me = await this.join();
    const groupId = await this._signaling.createGroup(capability);
    const group = new Group(this, groupId, me.id, resolved);
    if (this._groups.has(groupId)) {
      throw new Error(`The server returned the id of a group this service is already in: ${groupId}.`);
    }
    this._groups.set(groupId, group);
    group._initialize({ id: groupId, owner: me.id, capability, members: [me.id] });
    return group;
  }

  /**
   * Joins an existing group and connects to its members (the later joiner offers to every earlier member).
   * Resolves once the group is known; members connect in the background (see `Group.whenAllConnected`).
   * @param {string} groupId
   * @param {GroupOptions} [options]
   * @returns {Promise<Group>}
   */
  async joinGroup(groupId, options = undefined) {
    if (typeof groupId !== "string" || groupId.length === 0) throw new TypeError("A group id is a non-empty string.");
    const resolved = groupOptions(options, this._options.defaultGroupOptions);
    const me = await this.join();
    if (this._groups.has(groupId)) throw new Error(`This service is already a member of group ${groupId}.`);
    const group = new Group(this, groupId, me.id, resolved);
    // Registered before joining: offers from members who join right after us can arrive before get_group answers.
    this._groups.set(groupId, group);
    let joined = false;
    try {
      await this._signaling.joinGroup(groupId);
      joined = true;
      const info = await this._signaling.getGroup(groupId);
      group._initialize(info);
      return group;
    } catch (error) {
      if (joined) {
        try {
          await this._signaling.leaveGroup(groupId, { timeout: this._options.leaveTimeout });
        } catch (leaveError) {
          this._logger.warn(`Could not leave group ${groupId} after a failed join: ${messageOf(leaveError)}`);
        }
      }
      group._shutdown();
      throw error;
    }
  }

  /** Leaves every group and closes the signaling connection. */
  async close() {
    if (this._closing) return this._closed.promise;
    this._closing = true;
    clearTimeout(this._iceRefreshTimer);
    await Promise.allSettled(this.groups.map((group) => group.leave()));
    this._signaling.relayHandler = null;
    this._signaling.close();
    this._logger.info("Closed");
    this._closed.resolve();
    return this._closed.promise;
  }

  /**
   * The configuration of a new RTCPeerConnection: the options' servers, then the latest from `get_ice_servers`.
   * @returns {RTCConfiguration}
   */
  get _rtcConfiguration() {
    if (this._signaledIceServers.length === 0) return this._baseRtcConfiguration;
    return { ...this._baseRtcConfiguration, iceServers: [...(this._baseRtcConfiguration.iceServers ?? []), ...this._signaledIceServers] };
  }

  /**
   * Fetches the ICE servers from the signaling server and schedules the next fetch: at half of the credentials'
   * remaining lifetime (TURN REST user names), hourly without one, 30 s after a failure (the last list is kept).
   * @param {boolean} first the join's fetch: failures are thrown, not retried
   */
  async _fetchIceServers(first) {
    clearTimeout(this._iceRefreshTimer);
    /** @type {number} */
    let next;
    try {
      const servers = await this._signaling.getIceServers();
      this._signaledIceServers = servers;
      const expiries = servers.map(turnRestExpiry).filter((d) => d !== null).map((d) => /** @type {Date} */ (d).getTime());
      const remaining = expiries.length === 0 ? null : Math.min(...expiries) - Date.now();
      next = remaining === null ? 3600_000 : remaining > 0 ? Math.max(remaining / 2, 1000) : 30_000;
      if (remaining !== null && remaining <= 0) this._logger.warn("The signaling server handed out TURN credentials that have expired already (is a clock off?)");
      this._logger.debug(`ICE servers from the signaling server: ${servers.map((s) => urlList(s.urls).join(", ")).join("; ")}`);
    } catch (error) {
      if (first) {
        if (error instanceof SignalingError && error.code === SignalingErrorCode.MethodNotFound) {
          throw new SignalingError(error.code, `iceServersFromSignaling is set, but the signaling server does not offer get_ice_servers: ${error.message}`);
        }
        throw error;
      }
      if (this._closing || this._signaling.isClosed) return;
      this._logger.warn(`Could not refresh the ICE servers from the signaling server (${messageOf(error)}); retrying in 30 s`);
      next = 30_000;
    }
    if (this._closing) return;
    // setTimeout holds at most 2^31-1 ms (24.8 days); a longer wait fires early, which only fetches sooner.
    this._iceRefreshTimer = setTimeout(() => { void this._fetchIceServers(false); }, Math.min(next, 2 ** 31 - 1));
  }

  /** @param {RelayRequest} relay */
  _onRelay(relay) {
    const group = this._groups.get(relay.groupId);
    if (!group) {
      this._logger.debug(`Refused a relay from ${relay.fromUserId} for group ${relay.groupId}, which this service is not a member of`);
      throw new SignalingError(SignalingErrorCode.NotInGroup, `User ${this._userId} is not a member of group ${relay.groupId}.`);
    }
    return group._onRelay(relay.fromUserId, relay.data);
  }

  /** @param {Group} group */
  _onGroupClosed(group) {
    if (this._groups.get(group.id) === group) this._groups.delete(group.id);
  }

  /** @param {string} reason */
  _onSignalingClosed(reason) {
    if (!this._closing) this._logger.warn(`The signaling connection closed: ${reason}`);
    for (const group of this._groups.values()) group._onSignalingClosed();
    this.dispatchEvent(new SignalingClosedEvent("signalingclosed", reason));
  }

  _throwIfClosed() {
    if (this._closing) throw new Error("The service is closed.");
  }
}
