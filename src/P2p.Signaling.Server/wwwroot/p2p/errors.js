// @ts-check
/**
 * Errors: `GroupError` and `SignalingError` with their codes (`GroupErrorCode`, `IdentityFailureReason`,
 * `SignalingErrorCode`).
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/errors
 */
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
export function identityError(reason, message, details = {}) {
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
export function codeName(codes, code) {
  for (const [name, value] of Object.entries(codes)) {
    if (value === code) return name;
  }
  return String(code);
}
