// @ts-check
/**
 * Identity: long-term ECDSA P-256 keys proven over each connection (docs/browser-client.md, "Identity"):
 * keys, the transcript, Identity frames, trust policies and stores.
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/identity
 */

import { IdentityFailureReason, identityError } from "./errors.js";
import { encoder, messageOf, toBytes } from "./util.js";
import { FINAL_FLAG, FRAME_HEADER_SIZE, FRAME_VERSION, FrameKind } from "./framing.js";

/** The version byte of an Identity frame's payload. */
const IDENTITY_VERSION = 1;
/** The longest name in an Identity frame, in UTF-8 bytes. */
export const MAX_IDENTITY_NAME_BYTES = 256;
/** The first line of every identity transcript. */
const IDENTITY_TRANSCRIPT_TAG = "p2p-identity-v1";
export const ECDSA_P256 = Object.freeze({ name: "ECDSA", namedCurve: "P-256" });
export const ECDSA_SHA256 = Object.freeze({ name: "ECDSA", hash: "SHA-256" });
export const strictDecoder = new TextDecoder("utf-8", { fatal: true });

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
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", /** @type {Uint8Array<ArrayBuffer>} */ (toBytes(spki)))));
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
export function resolveIdentity(options) {
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
