// In-page test peer for the interop tests. Injected into a page served on 127.0.0.1; exposes
// window.p2pTest. The .NET side drives it through Playwright's evaluate(); local ICE candidates leave
// the page through the binding window.__p2pCandidate(peerName, candidateJsonOrNull).
// Binary data crosses the Playwright boundary as base64 strings.
window.p2pTest = (() => {
  const peers = new Map();

  const get = (name) => {
    const p = peers.get(name);
    if (!p) throw new Error(`no peer named ${name}`);
    return p;
  };

  const toB64 = (buf) => {
    const bytes = new Uint8Array(buf);
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const fromB64 = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

  const withTimeout = (promise, ms, what) => Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms)),
  ]);

  function track(p, ch) {
    ch.binaryType = 'arraybuffer';
    p.channels.set(ch.label, ch);
    const waiters = p.channelWaiters.get(ch.label) || [];
    p.channelWaiters.delete(ch.label);
    waiters.forEach((w) => w(ch));
  }

  function create(name, config) {
    const pc = new RTCPeerConnection(Object.assign({ iceServers: [] }, config || {}));
    const p = { pc, channels: new Map(), channelWaiters: new Map(), pendingCandidates: [], events: [] };
    peers.set(name, p);
    pc.onicecandidate = (e) => {
      const c = e.candidate && e.candidate.candidate ? JSON.stringify(e.candidate.toJSON()) : null;
      window.__p2pCandidate(name, c);
    };
    pc.ondatachannel = (e) => track(p, e.channel);
    pc.oniceconnectionstatechange = () => p.events.push('ice:' + pc.iceConnectionState);
    pc.onconnectionstatechange = () => p.events.push('pc:' + pc.connectionState);
    return true;
  }

  function createChannel(name, label, options) {
    const p = get(name);
    const ch = p.pc.createDataChannel(label, options || {});
    track(p, ch);
    return true;
  }

  async function offer(name) {
    const p = get(name);
    const o = await p.pc.createOffer();
    await p.pc.setLocalDescription(o);
    return { type: o.type, sdp: o.sdp };
  }

  async function flushCandidates(p) {
    for (const c of p.pendingCandidates.splice(0)) await p.pc.addIceCandidate(c);
  }

  async function answer(name, remote) {
    const p = get(name);
    await p.pc.setRemoteDescription(remote);
    await flushCandidates(p);
    const a = await p.pc.createAnswer();
    await p.pc.setLocalDescription(a);
    return { type: a.type, sdp: a.sdp };
  }

  async function accept(name, remote) {
    const p = get(name);
    await p.pc.setRemoteDescription(remote);
    await flushCandidates(p);
    return true;
  }

  async function addCandidate(name, candidate) {
    const p = get(name);
    if (!p.pc.remoteDescription) p.pendingCandidates.push(candidate);
    else await p.pc.addIceCandidate(candidate);
    return true;
  }

  function channelInfo(ch) {
    return { label: ch.label, id: ch.id, ordered: ch.ordered, protocol: ch.protocol, negotiated: ch.negotiated,
      readyState: ch.readyState, maxRetransmits: ch.maxRetransmits, maxPacketLifeTime: ch.maxPacketLifeTime };
  }

  // Waits until a channel with this label exists (created locally or announced by the remote) and is open.
  async function waitOpen(name, label, timeoutMs) {
    const p = get(name);
    const ch = p.channels.get(label) || await withTimeout(new Promise((resolve) => {
      const list = p.channelWaiters.get(label) || [];
      list.push(resolve);
      p.channelWaiters.set(label, list);
    }), timeoutMs, `channel '${label}' to appear (ice=${p.pc.iceConnectionState}, pc=${p.pc.connectionState})`);
    if (ch.readyState !== 'open') {
      await withTimeout(new Promise((resolve, reject) => {
        ch.addEventListener('open', () => resolve(), { once: true });
        ch.addEventListener('close', () => reject(new Error(`channel '${label}' closed before opening`)), { once: true });
      }), timeoutMs, `channel '${label}' to open (ice=${p.pc.iceConnectionState}, pc=${p.pc.connectionState})`);
    }
    return channelInfo(ch);
  }

  // Echoes every message on the channel back on the same channel, strings as strings, binary as binary.
  function echo(name, label) {
    const ch = get(name).channels.get(label);
    ch.onmessage = (e) => ch.send(e.data);
    return true;
  }

  // Sends one message and resolves with the first message that comes back: {text} or {b64}.
  async function roundTrip(name, label, message, timeoutMs) {
    const ch = get(name).channels.get(label);
    const reply = withTimeout(new Promise((resolve) => {
      ch.onmessage = (e) => {
        ch.onmessage = null;
        resolve(typeof e.data === 'string' ? { text: e.data } : { b64: toB64(e.data) });
      };
    }), timeoutMs, `reply on '${label}'`);
    if (message.text !== undefined) ch.send(message.text); else ch.send(fromB64(message.b64));
    return await reply;
  }

  // Collects incoming binary bytes on a channel until `total` bytes have arrived, then resolves with
  // their SHA-256 (hex) and the number of messages. Call before the peer starts sending.
  function armReceive(name, label, total) {
    const p = get(name);
    const ch = p.channels.get(label);
    const parts = [];
    let got = 0;
    let messages = 0;
    p.received = new Promise((resolve) => {
      ch.onmessage = (e) => {
        const data = typeof e.data === 'string' ? new TextEncoder().encode(e.data) : new Uint8Array(e.data);
        parts.push(data);
        got += data.byteLength;
        messages++;
        if (got >= total) {
          ch.onmessage = null;
          const all = new Uint8Array(got);
          let off = 0;
          for (const part of parts) { all.set(part, off); off += part.byteLength; }
          crypto.subtle.digest('SHA-256', all).then((d) => resolve({
            bytes: got, messages, sha256: [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join(''),
          }));
        }
      };
    });
    return true;
  }

  // Counts incoming bytes (no hashing) until `total` have arrived; for throughput measurements.
  function armCount(name, label, total) {
    const p = get(name);
    const ch = p.channels.get(label);
    let got = 0;
    let messages = 0;
    let first = 0;
    p.received = new Promise((resolve) => {
      ch.onmessage = (e) => {
        if (!messages) first = performance.now();
        got += typeof e.data === 'string' ? e.data.length : e.data.byteLength;
        messages++;
        if (got >= total) { ch.onmessage = null; resolve({ bytes: got, messages, firstMs: first, lastMs: performance.now() }); }
      };
    });
    return true;
  }

  // Sends `count` + `warmup` messages of `size` bytes one at a time, each after the previous echo
  // came back; resolves with the round-trip times in microseconds (warm-up excluded).
  function pingPong(name, label, count, size, warmup, timeoutMs) {
    const ch = get(name).channels.get(label);
    const buf = new Uint8Array(size);
    const rtts = [];
    return withTimeout(new Promise((resolve) => {
      let i = 0;
      let t = 0;
      ch.onmessage = () => {
        const dt = performance.now() - t;
        if (i >= warmup) rtts.push(dt * 1000);
        i++;
        if (i < count + warmup) { t = performance.now(); ch.send(buf); } else { ch.onmessage = null; resolve(rtts); }
      };
      t = performance.now();
      ch.send(buf);
    }), timeoutMs, 'ping-pong');
  }

  async function received(name, timeoutMs) {
    return await withTimeout(get(name).received, timeoutMs, 'bulk receive');
  }

  // Sends `total` bytes in messages of `size` bytes with back-pressure; byte i of the stream is (i * 31 + 7) & 255.
  // With `reuse`, every message is one buffer holding the pattern from offset 0 (no per-message work).
  async function sendBulk(name, label, total, size, high, low, timeoutMs, reuse) {
    const ch = get(name).channels.get(label);
    const shared = reuse ? Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 255) : null;
    ch.bufferedAmountLowThreshold = low;
    let sent = 0;
    const t0 = performance.now();
    await withTimeout(new Promise((resolve, reject) => {
      const pump = () => {
        try {
          while (sent < total) {
            if (ch.bufferedAmount > high) {
              ch.onbufferedamountlow = () => { ch.onbufferedamountlow = null; pump(); };
              return;
            }
            const n = Math.min(size, total - sent);
            let buf;
            if (shared) {
              buf = n === size ? shared : shared.subarray(0, n);
            } else {
              buf = new Uint8Array(n);
              for (let i = 0; i < n; i++) buf[i] = ((sent + i) * 31 + 7) & 255;
            }
            ch.send(buf);
            sent += n;
          }
          resolve();
        } catch (err) { reject(new Error(`send failed after ${sent} bytes: ${err}`)); }
      };
      pump();
    }), timeoutMs, `bulk send (${sent} of ${total} bytes)`);
    return { sent, ms: performance.now() - t0 };
  }

  function state(name) {
    const pc = get(name).pc;
    return { isolated: self.crossOriginIsolated, ice: pc.iceConnectionState, pc: pc.connectionState, signaling: pc.signalingState,
      gathering: pc.iceGatheringState, events: get(name).events.slice(),
      maxMessageSize: pc.sctp ? pc.sctp.maxMessageSize : null };
  }

  // Resolves when the connection state becomes `wanted`; rejects if it fails or closes first.
  function waitConnectionState(name, wanted, timeoutMs) {
    const pc = get(name).pc;
    if (pc.connectionState === wanted) return true;
    return withTimeout(new Promise((resolve, reject) => {
      const check = () => {
        if (pc.connectionState === wanted) { pc.removeEventListener('connectionstatechange', check); resolve(true); }
        else if (pc.connectionState === 'failed' || pc.connectionState === 'closed') {
          pc.removeEventListener('connectionstatechange', check);
          reject(new Error(`connection went ${pc.connectionState} while waiting for ${wanted}`));
        }
      };
      pc.addEventListener('connectionstatechange', check);
    }), timeoutMs, `connection state ${wanted} (now ${pc.connectionState}, ice ${pc.iceConnectionState})`);
  }

  function closeChannel(name, label) {
    const ch = get(name).channels.get(label);
    if (ch) ch.close();
    return true;
  }

  async function waitChannelClosed(name, label, timeoutMs) {
    const ch = get(name).channels.get(label);
    if (ch.readyState === 'closed') return true;
    await withTimeout(new Promise((resolve) => ch.addEventListener('close', () => resolve(), { once: true })),
      timeoutMs, `channel '${label}' to close`);
    return true;
  }

  function close(name) {
    const p = peers.get(name);
    if (p) { p.pc.close(); peers.delete(name); }
    return true;
  }

  return { create, createChannel, offer, answer, accept, addCandidate, waitOpen, echo, roundTrip, armReceive,
    armCount, pingPong, received, sendBulk, state, waitConnectionState, closeChannel, waitChannelClosed, close };
})();
