// In-page driver for the browser client tests (BrowserClientPage.cs): loaded as a module into a page on
// the signaling server's origin; imports the module under test from that origin and exposes `window.t`.
import * as p2p from "/p2p.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const state = {
  /** @type {p2p.P2pService|null} */ service: null,
  /** @type {p2p.Group|null} */ group: null,
  /** what the message handler got: {from, length, text?, sha256} */ received: [],
  /** what the request handler got */ requests: [],
  /** group events: {type, member, state?} */ events: [],
  /** log lines at warn and above, and everything when verbose */ logs: [],
  requestMode: "echo",
  verbose: false,
  /** @type {p2p.P2pIdentity|null} this page's identity key, when connected with one */ identityKey: null,
  /** the in-memory store of a trust-on-first-use policy */ trustStore: null,
  /** identity frames still to rewrite: {mode, count} */ identityHook: null,
};

/** Resolved (and replaced) whenever the state above changes: waiters re-check their condition. */
let changed = newSignal();
function newSignal() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}
function notify() {
  const previous = changed;
  changed = newSignal();
  previous.resolve();
}

async function waitUntil(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const next = changed.promise;
    const value = condition();
    if (value) return value;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; ${JSON.stringify(snapshot())}`);
    let timer;
    await Promise.race([next, new Promise((r) => { timer = setTimeout(r, left); })]);
    clearTimeout(timer);
  }
}

function line(level) {
  return (...args) => {
    const text = args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(" ");
    if (state.verbose || level === "warn" || level === "error") state.logs.push(`${level}: ${text}`);
  };
}
const logger = { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };

function pattern(size, seed) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function toB64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromB64(b64) {
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function describe(error) {
  return {
    name: error?.name ?? "Error",
    message: error?.message ?? String(error),
    code: error?.code ?? null,
    reason: error?.reason ?? null,
    isRemote: error?.isRemote ?? false,
    remoteMemberId: error?.remoteMemberId ?? null,
    remoteMessage: error?.remoteMessage ?? null,
  };
}

function snapshot() {
  const g = state.group;
  return g === null ? null : {
    id: g.id,
    localId: g.localId,
    ownerId: g.ownerId,
    capability: g.capability,
    isClosed: g.isClosed,
    members: g.members.map((m) => ({ id: m.id, state: m.state, relayedVia: m.relayedVia, isOwner: m.isOwner, lastError: m.lastError?.message ?? null })),
  };
}

const handlers = {
  messageHandler: async (from, data) => {
    const entry = { from: from.id, length: data.length, text: data.length <= 1024 ? decoder.decode(data) : null, sha256: null };
    state.received.push(entry);
    notify();
    entry.sha256 = await sha256(data);
    notify();
  },
  requestHandler: async (from, data) => {
    state.requests.push({ from: from.id, length: data.length });
    notify();
    const mode = state.requestMode;
    if (mode === "throw") throw new Error(`no coffee for ${from.id.slice(0, 8)}`);
    if (mode === "unavailable") throw new p2p.GroupError(p2p.GroupErrorCode.Unavailable, "closed for lunch");
    if (mode === "hang") return new Promise(() => {}); // never answers
    if (data.length > 1024) return data; // big payloads come back as they are
    return encoder.encode(`echo:${decoder.decode(data)}`);
  },
};

function identityOf(identity) {
  return identity ? { name: identity.name, keyId: identity.keyId } : null;
}

/** Rewrites this page's next Identity frame(s) as `t.injectIdentityFrame` asked: a "modified peer". */
function rewriteIdentityFrame(frame) {
  const hook = state.identityHook;
  if (hook === null || hook.count <= 0) return frame;
  hook.count--;
  const payload = frame.subarray(10);
  const rebuild = (bytes) => p2p.encodeIdentityFrame(bytes);
  switch (hook.mode) {
    case "omit": return null;
    case "trailing": return rebuild(new Uint8Array([...payload, 0]));
    case "version": { const copy = payload.slice(); copy[0] = 2; return rebuild(copy); }
    case "truncated": return frame.subarray(0, frame.length - 1); // the header's total length no longer adds up
    case "badSignature": { const copy = frame.slice(); copy[copy.length - 1] ^= 0x01; return copy; }
    case "badKey": { // a P-256 SPKI with a byte of the point changed: not a point on the curve
      const copy = frame.slice();
      const nameLength = (copy[11] << 8) | copy[12];
      copy[10 + 1 + 2 + nameLength + 2 + 40] ^= 0x01;
      return copy;
    }
    default: throw new Error(`unknown identity frame rewrite ${hook.mode}`);
  }
}

function attach(group) {
  state.group = group;
  group._identityFrameHook = rewriteIdentityFrame;
  for (const type of ["memberjoined", "memberleft", "memberidentified"]) {
    group.addEventListener(type, (event) => { state.events.push({ type, member: event.member.id, identity: identityOf(event.member.identity) }); notify(); });
  }
  group.addEventListener("memberstatechanged", (event) => {
    state.events.push({
      type: "memberstatechanged", member: event.member.id, previous: event.previous, state: event.state, relayedVia: event.relayedVia,
      identity: identityOf(event.identity),
      error: event.error ? { code: event.error.code ?? null, reason: event.error.reason ?? null, message: event.error.message } : null,
    });
    notify();
  });
  return snapshot();
}

/** The `identity` option of `t.connect`: {name, key: "generate"|"keep", requirePeerIdentity, trust: {type: "any"|"pinned"|"tofu"|"refuse", pins}}. */
async function identityOptions(spec) {
  if (!spec) return undefined;
  let key = null;
  if (spec.key === "generate") key = await p2p.P2pIdentity.generate();
  else if (spec.key === "keep") key = state.identityKey;
  state.identityKey = key;
  let trust;
  switch (spec.trust?.type ?? "any") {
    case "any": trust = p2p.TrustPolicy.acceptAnyVerified(); break;
    case "pinned": trust = p2p.TrustPolicy.pinned(spec.trust.pins); break;
    case "tofu": state.trustStore = new p2p.MemoryTrustStore(); trust = p2p.TrustPolicy.trustOnFirstUse(state.trustStore); break;
    case "refuse": trust = p2p.TrustPolicy.callback(async (claim) => { throw new Error(`not today, ${claim.name}`); }); break;
    default: throw new Error(`unknown trust policy ${spec.trust.type}`);
  }
  return { key, name: spec.name ?? "", trust, requirePeerIdentity: spec.requirePeerIdentity ?? undefined };
}

function group() {
  if (state.group === null) throw new Error("No group yet.");
  return state.group;
}

window.p2p = p2p;
window.t = {
  async connect(url, options = {}) {
    const identity = await identityOptions(options.identity);
    state.service = await p2p.P2pService.connect(url, {
      identity,
      logger,
      retryInitialDelay: 200,
      retryMaxDelay: 2000,
      connectTimeout: options.connectTimeout ?? 15000,
      iceServersFromSignaling: options.iceServersFromSignaling ?? false,
      iceTransportPolicy: options.iceTransportPolicy ?? "all",
      // Only loopback candidates: tests never send elsewhere (and a netns has nothing else anyway).
      candidateFilter: (c) => / 127\.0\.0\.1 /.test(` ${c.candidate} `),
      defaultGroupOptions: { ...(options.relaying ? { relaying: options.relaying } : {}), ...(options.requestTimeout ? { requestTimeout: options.requestTimeout } : {}) },
    });
    state.service.signaling.addEventListener("memberjoined", notify);
    state.service.signaling.addEventListener("memberleft", notify);
    return (await state.service.join()).id;
  },
  async create(capability) { return attach(await state.service.createGroup(capability, handlers)); },
  async join(groupId) { return attach(await state.service.joinGroup(groupId, handlers)); },
  async tryJoin(groupId) {
    try {
      return { group: attach(await state.service.joinGroup(groupId, handlers)) };
    } catch (error) {
      return { error: describe(error), groups: state.service.groups.length };
    }
  },
  info: () => snapshot(),

  // ---- identity ----
  /** This page's own identity: {name, keyId} (the local member's), or null without a key. */
  localIdentity: () => identityOf(state.group?.localMember.identity ?? (state.identityKey ? { name: "", keyId: state.identityKey.keyId } : null)),
  /** This page's key id (null without a key). */
  keyId: () => state.identityKey?.keyId ?? null,
  /** The verified identity of a member: {name, keyId} or null. */
  identity(memberId) { return identityOf(group().getMember(memberId)?.identity); },
  /** The trust-on-first-use store's entries (name -> key id). */
  trustStore: () => Object.fromEntries(state.trustStore?.entries ?? []),
  /** Rewrites this page's next `count` Identity frames: "omit", "trailing", "version", "truncated", "badSignature", "badKey". */
  injectIdentityFrame(mode, count = 1) { state.identityHook = { mode, count }; },
  /** Waits for a memberstatechanged event of a member into `memberState`; returns it (with error and identity). */
  async waitState(memberId, memberState, timeoutMs) {
    return waitUntil(() => state.events.find((e) => e.type === "memberstatechanged" && e.member === memberId && e.state === memberState) ?? null,
      timeoutMs, `${memberId} ${memberState}`);
  },
  verbose(on) { state.verbose = on; },

  // ---- relayed members ----
  /**
   * Makes direct connections to these members impossible (call before joining): relays (offers, candidates) to them
   * fail and relays from them are refused, so every attempt of either side fails and they can only be relayed.
   */
  blockDirect(ids) {
    const blocked = new Set(ids);
    const signaling = state.service.signaling;
    const relay = signaling.relay.bind(signaling);
    signaling.relay = (groupId, to, data, options) => blocked.has(to)
      ? Promise.reject(new p2p.SignalingError(p2p.SignalingErrorCode.RelayHandlerFailed, `test: no direct connection to ${to}`))
      : relay(groupId, to, data, options);
    const handler = signaling.relayHandler;
    signaling.relayHandler = (request) => {
      if (blocked.has(request.fromUserId)) throw new p2p.SignalingError(p2p.SignalingErrorCode.RelayHandlerFailed, `test: no direct connection from ${request.fromUserId}`);
      return handler(request);
    };
  },
  /** Makes this page a relay that alters what it forwards: the last byte of every forwarded Data frame is flipped. */
  tamperForwarded() {
    group()._forwardHook = (frame) => {
      if (frame[1] === p2p.RouteFrameType.Data) frame[frame.length - 1] ^= 0x01;
      return frame;
    };
  },
  /** Waits until `count` members are reachable (connected or relayed). */
  async waitReachable(count, timeoutMs) {
    return waitUntil(() => {
      const g = state.group;
      return g !== null && g.members.length === count && g.members.every((m) => m.state === p2p.PeerState.Connected || m.state === p2p.PeerState.Relayed) ? snapshot() : null;
    }, timeoutMs, `${count} reachable members`);
  },
  /** The member's state and relay: {state, relayedVia}. */
  member(memberId) {
    const m = group().getMember(memberId);
    return m === null ? null : { state: m.state, relayedVia: m.relayedVia, identity: identityOf(m.identity) };
  },
  /** Waits until `bytes` of a relayed message from a member have arrived (the message being received, not yet complete). */
  async waitRelayedProgress(memberId, bytes, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const received = group()._router._states.get(memberId)?.partial?.received ?? 0;
      if (received >= bytes) return received;
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${bytes} relayed bytes from ${memberId} (${received} so far)`);
      await new Promise((r) => setTimeout(r, 5)); // no event marks a fragment: poll
    }
  },
  /** Waits until a member is relayed (through `via`, when given); returns {state, relayedVia}. */
  async waitRelayed(memberId, via, timeoutMs) {
    return waitUntil(() => {
      const m = state.group?.getMember(memberId);
      return m && m.state === p2p.PeerState.Relayed && (via === null || m.relayedVia === via) ? { state: m.state, relayedVia: m.relayedVia, identity: identityOf(m.identity) } : null;
    }, timeoutMs, `${memberId} relayed through ${via ?? "any member"}`);
  },
  logs: () => state.logs,
  events: () => state.events,
  received: () => state.received,
  requests: () => state.requests,
  setRequestMode(mode) { state.requestMode = mode; },
  removeRequestHandler() { group().requestHandler = null; },
  bypassSenderChecks() { group()._bypassSenderChecks = true; },

  async waitConnected(count, timeoutMs) {
    return waitUntil(() => {
      const g = state.group;
      return g !== null && g.members.length === count && g.members.every((m) => m.state === p2p.PeerState.Connected) ? snapshot() : null;
    }, timeoutMs, `${count} connected members`);
  },

  async waitReceived(count, timeoutMs) {
    return waitUntil(() => (state.received.length >= count && state.received.every((r) => r.sha256 !== null) ? state.received : null),
      timeoutMs, `${count} received broadcasts`);
  },

  async waitEvent(type, memberId, timeoutMs) {
    return waitUntil(() => state.events.find((e) => e.type === type && e.member === memberId) ?? null, timeoutMs, `${type} of ${memberId}`);
  },

  /** The role of the live connection to each member ("offerer" or "answerer") and its frame size. */
  links() {
    const result = {};
    for (const [id, link] of group()._links) {
      result[id] = { role: link._current?.role ?? null, frameSize: link._current?.messenger?.frameSize ?? null, weOffer: link.weOffer };
    }
    return result;
  },

  /**
   * Restarts ICE on the link to a member: the offering side restarts, the answering side asks the other to
   * (`{"type":"restart"}`). Returns the link's attempt number, to check the connection stayed the same.
   */
  async restartIce(memberId) {
    const link = group()._links.get(memberId);
    if (link.weOffer) {
      if (!link.onRestartRequested()) throw new Error("nothing to restart");
    } else {
      await group()._signaling.relay(group().id, memberId, { type: "restart" });
    }
    return link._current?.number ?? null;
  },

  /** The ICE ufrags of the live connection to a member (local, remote), its attempt number and connection state. */
  iceState(memberId) {
    const current = group()._links.get(memberId)?._current;
    const ufrag = (sdp) => /a=ice-ufrag:(\S+)/.exec(sdp ?? "")?.[1] ?? null;
    return {
      attempt: current?.number ?? null,
      local: ufrag(current?.pc.localDescription?.sdp),
      remote: ufrag(current?.pc.remoteDescription?.sdp),
      connectionState: current?.pc.connectionState ?? null,
      signalingState: current?.pc.signalingState ?? null,
    };
  },

  /** Waits until the connection to a member runs on new ICE credentials (both ufrags changed) and is connected again. */
  async waitIceRestarted(memberId, oldLocal, oldRemote, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ice = window.t.iceState(memberId);
      if (ice.local !== oldLocal && ice.remote !== oldRemote && ice.signalingState === "stable" && ice.connectionState === "connected") return ice;
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for an ICE restart with ${memberId}: ${JSON.stringify(ice)}`);
      await new Promise((r) => setTimeout(r, 20)); // no event marks the end of a restart: poll the descriptions
    }
  },

  async broadcastText(text) {
    try {
      const result = await group().broadcast(text);
      return { delivered: result.delivered.map((m) => m.id), failed: result.failed.map((f) => ({ id: f.member.id, ...describe(f.error) })), allDelivered: result.allDelivered };
    } catch (error) {
      return { error: describe(error) };
    }
  },

  async broadcastPattern(size, seed) {
    const result = await group().broadcast(pattern(size, seed));
    return { delivered: result.delivered.map((m) => m.id), failed: result.failed.map((f) => f.member.id) };
  },

  /**
   * Back-pressure: broadcasts `count` messages of `size` bytes (pattern seeds 0..count-1) one after another, each
   * awaited, while sampling the largest `bufferedAmount` of any of the group's channels (every 2 ms and after each
   * broadcast). Returns {elapsedMs, maxBuffered, delivered (members per message), failed, heapBefore, heapAfter}.
   */
  async floodBroadcasts(count, size) {
    const channels = () => [...group()._links.values()].map((link) => link._current?.messenger?._channel).filter((c) => c);
    let maxBuffered = 0;
    const sample = () => { for (const channel of channels()) maxBuffered = Math.max(maxBuffered, channel.bufferedAmount); };
    const heap = () => /** @type {any} */ (performance).memory?.usedJSHeapSize ?? null;
    const heapBefore = heap();
    const sampler = setInterval(sample, 2);
    const started = performance.now();
    const delivered = [];
    let failed = 0;
    try {
      for (let seed = 0; seed < count; seed++) {
        const result = await group().broadcast(pattern(size, seed));
        sample();
        delivered.push(result.delivered.length);
        failed += result.failed.length;
      }
    } finally {
      clearInterval(sampler);
    }
    return { elapsedMs: performance.now() - started, maxBuffered, delivered, failed, heapBefore, heapAfter: heap() };
  },

  async unicastText(memberId, text, timeoutMs) {
    try {
      const reply = await group().unicast(memberId, text, timeoutMs ? { timeout: timeoutMs } : {});
      return { reply: decoder.decode(reply) };
    } catch (error) {
      return { error: describe(error) };
    }
  },

  async unicastPattern(memberId, size, seed) {
    const reply = await group().unicast(memberId, pattern(size, seed));
    return { length: reply.length, sha256: await sha256(reply) };
  },

  /** The ICE servers a new peer connection would get (the options' and those from get_ice_servers). */
  iceServers() { return state.service._rtcConfiguration.iceServers; },

  /** For each member: the candidate types of the live connection's selected pair (from getStats). */
  async selectedCandidateTypes() {
    const result = {};
    for (const [id, link] of group()._links) {
      const pc = link._current?.pc;
      if (!pc) continue;
      const stats = await pc.getStats();
      let pair = null;
      stats.forEach((s) => {
        if (s.type === "transport" && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
      });
      if (pair === null) stats.forEach((s) => { if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pair = s; });
      result[id] = pair === null ? null : { local: stats.get(pair.localCandidateId)?.candidateType ?? null, remote: stats.get(pair.remoteCandidateId)?.candidateType ?? null };
    }
    return result;
  },

  async leave() { await group().leave(); return snapshot(); },
  async close() { await state.service?.close(); },

  // ---- framing, for the wire-compatibility tests against P2p.Core.Framing ----
  encodeFrames(kind, messageId, b64, maxFrameSize) {
    return p2p.encodeFrames(kind, messageId, fromB64(b64), maxFrameSize).map(toB64);
  },
  reassemble(framesB64, maxMessageSize) {
    const reassembler = new p2p.MessageReassembler(maxMessageSize);
    return framesB64.map((b64) => {
      const { status, header, message } = reassembler.add(fromB64(b64));
      return { status, kind: header?.kind ?? null, messageId: header?.messageId ?? null, message: message === null ? null : toB64(message) };
    });
  },
  encodeError(code, message) { return toB64(p2p.encodeErrorPayload(code, message)); },
  decodeError(b64) { return p2p.decodeErrorPayload(fromB64(b64)); },

  // ---- identity encoding, for the wire tests against bytes computed in C# ----
  identityTranscript(fields) { return toB64(encoder.encode(p2p.identityTranscript(fields))); },
  identityFrame(name, publicKeyB64, signatureB64) {
    return toB64(p2p.encodeIdentityFrame(p2p.encodeIdentityPayload({ name, publicKey: fromB64(publicKeyB64), signature: fromB64(signatureB64) })));
  },
  sdpFingerprint: (sdp) => p2p.sdpFingerprint(sdp),
  keyIdOf: async (spkiB64) => p2p.identityKeyId(fromB64(spkiB64)),
  /** Signs `fields` with a new key: {spki, payload} (base64), for a verifier in C#. */
  async signIdentity(fields) {
    const key = await p2p.P2pIdentity.generate();
    return { spki: toB64(key.spki), keyId: key.keyId, payload: toB64(await p2p.signIdentityPayload(key, fields)) };
  },
  /** Verifies a payload (base64) over `fields`: {name, keyId} or {error: {code, message}}. */
  async verifyIdentity(payloadB64, fields) {
    try {
      return identityOf(await p2p.verifyIdentityPayload(fromB64(payloadB64), fields));
    } catch (error) {
      return { error: describe(error) };
    }
  },
};
