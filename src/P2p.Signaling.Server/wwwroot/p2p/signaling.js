// @ts-check
/**
 * Signaling: JSON-RPC 2.0 over a WebSocket (docs/protocol.md), with reconnection and access tokens.
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/signaling
 */

import { SignalingError, SignalingErrorCode } from "./errors.js";
import { defaultLogger, formatDuration, messageOf, truncate } from "./util.js";
/** @import { Logger } from "./util.js" */

/**
 * The signaling endpoint this module was served from (the server serves it next to its WebSocket
 * endpoint), e.g. `ws://127.0.0.1:3001/` for `http://127.0.0.1:3001/p2p.js`: the directory of the entry module
 * `p2p.js`, which is the parent of this module's directory (`p2p/signaling.js`).
 */
export function defaultSignalingUrl() {
  try {
    const url = new URL("../", import.meta.url);
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
export function urlList(urls) {
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
