// @ts-check
/**
 * Route frames (kind 6) of the relayed-members extension (docs/protocol.md, "Relayed members (extension)"):
 * the codec and the signed transcripts.
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/route-frame
 */

import { EMPTY, encoder } from "./util.js";
import { FRAME_HEADER_SIZE, FRAME_VERSION, readFrameHeader } from "./framing.js";
import { ECDSA_SHA256, strictDecoder } from "./identity.js";

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
export const ROUTE_FRAME_BYTE0 = (FRAME_VERSION << 4) | 6;
/** Byte 2: set by the relay on the second hop. */
export const ROUTE_FORWARDED = 0x01;
/** The largest route frame (one channel message; route frames are never split by the message framing). */
export const MAX_ROUTE_FRAME_SIZE = 65536;
/** The signature of relayed Data and Acks: ECDSA P-256, IEEE P1363. */
export const ROUTE_SIGNATURE_BYTES = 64;
const ROUTED_DATA_TAG = "p2p-routed-v1";
const ROUTED_ACK_TAG = "p2p-routed-ack-v1";
const ROUTED_IDENTITY_TAG = "p2p-identity-routed-v1";
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
export function textThenBytes(text, bytes) {
  const head = encoder.encode(text);
  const all = new Uint8Array(head.length + bytes.length);
  all.set(head);
  all.set(bytes, head.length);
  return all;
}

/** @param {CryptoKey} key @param {Uint8Array} signature @param {Uint8Array} data */
export async function verifySignature(key, signature, data) {
  if (signature.length !== ROUTE_SIGNATURE_BYTES) return false;
  try {
    return await crypto.subtle.verify(ECDSA_SHA256, key, /** @type {Uint8Array<ArrayBuffer>} */ (signature), /** @type {Uint8Array<ArrayBuffer>} */ (data));
  } catch {
    return false;
  }
}
