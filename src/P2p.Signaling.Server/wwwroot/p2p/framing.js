// @ts-check
/**
 * Framing (docs/protocol.md, "Frames"), byte-compatible with P2p.Core.Framing: the 10-byte frame header,
 * splitting a message into frames and reassembling it, Error frame payloads.
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/framing
 */

import { GroupErrorCode } from "./errors.js";
import { decoder, encoder } from "./util.js";

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

export const FRAME_VERSION = 1;
export const FINAL_FLAG = 0x01;
/** A receiver keeps at most this many partial messages per channel. */
export const MAX_PARTIAL_MESSAGES = 16;
/** The longest error message written into an Error frame, in UTF-8 bytes. */
const MAX_ERROR_MESSAGE_BYTES = 1024;
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

/** The most a first fragment reserves ahead of the bytes received: 64 KiB (as P2p.Core's FragmentBuffer). */
export const FRAGMENT_BUFFER_INITIAL_CAPACITY = 64 * 1024;

/**
 * The bytes of one message received in fragments. The buffer grows with the bytes that actually arrive (doubling,
 * never beyond the announced total), so a peer that announces a large message in a few-byte first fragment costs
 * what it sent, not what its header claims. Internal.
 */
export class FragmentBuffer {
  /** @param {number} totalLength the message's announced length */
  constructor(totalLength) {
    this.totalLength = totalLength;
    this.received = 0;
    /** @type {Uint8Array} */
    this._buffer = new Uint8Array(Math.min(totalLength, FRAGMENT_BUFFER_INITIAL_CAPACITY));
  }

  /** The bytes reserved so far (for tests). */
  get capacity() { return this._buffer.length; }

  /**
   * Appends a fragment; false (nothing kept) when it would go beyond the announced length.
   * @param {Uint8Array} fragment
   */
  append(fragment) {
    const needed = this.received + fragment.length;
    if (needed > this.totalLength) return false;
    if (needed > this._buffer.length) {
      const grown = new Uint8Array(Math.min(this.totalLength, Math.max(needed, this._buffer.length * 2)));
      grown.set(this._buffer.subarray(0, this.received));
      this._buffer = grown;
    }
    this._buffer.set(fragment, this.received);
    this.received = needed;
    return true;
  }

  /** The whole message once every byte has arrived: exactly its length. */
  toMessage() {
    return this._buffer.length === this.received ? this._buffer : this._buffer.slice(0, this.received);
  }
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
    /** @type {Map<number, {totalLength: number, buffer: FragmentBuffer|null, received: number}>} */
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
        // Counted like any partial message: a peer cannot grow the table with over-large ones. Past the limit, every
        // fragment of the message is reported TooLarge, the final one too.
        if (!header.final && this._partials.size < this.maxPartialMessages) this._partials.set(key, { totalLength: header.totalLength, buffer: null, received: 0 });
        return { status: ReassemblyStatus.TooLarge, header, message: null };
      }
      if (header.final) {
        if (fragment.length !== header.totalLength) return { status: ReassemblyStatus.Malformed, header, message: null };
        return { status: ReassemblyStatus.Complete, header, message: fragment.slice() };
      }
      if (fragment.length >= header.totalLength) return { status: ReassemblyStatus.Malformed, header, message: null };
      if (this._partials.size >= this.maxPartialMessages) return { status: ReassemblyStatus.TooManyPartialMessages, header, message: null };
      partial = { totalLength: header.totalLength, buffer: new FragmentBuffer(header.totalLength), received: 0 };
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

    partial.buffer.append(fragment);
    partial.received += fragment.length;
    if (!header.final) return { status: ReassemblyStatus.Incomplete, header, message: null };
    this._partials.delete(key);
    if (partial.received !== partial.totalLength) return { status: ReassemblyStatus.Malformed, header, message: null };
    return { status: ReassemblyStatus.Complete, header, message: partial.buffer.toMessage() };
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
