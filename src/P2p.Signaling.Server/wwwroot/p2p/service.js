// @ts-check
/**
 * The service: one signaling connection and the groups this member is in.
 * Part of the browser client (docs/browser-client.md); `/p2p.js` re-exports its public names.
 * @module p2p/service
 */

import { GroupCapability } from "./codes.js";
import { SignalingError, SignalingErrorCode } from "./errors.js";
import { Deferred, defaultLogger, messageOf, truncate } from "./util.js";
import { SignalingChannel, SignalingClosedEvent, SignalingReconnectingEvent, defaultSignalingUrl, turnRestExpiry, urlList } from "./signaling.js";
import { Group, groupOptions } from "./group.js";
/** @import { Logger } from "./util.js" */
/** @import { AccessToken, RelayRequest, SignalingMemberEvent } from "./signaling.js" */
/** @import { IdentityOptions } from "./identity.js" */
/** @import { GroupOptions } from "./group.js" */

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
