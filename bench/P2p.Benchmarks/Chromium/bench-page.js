// In-page peer for the benchmarks (window.bench): one or more RTCPeerConnections per page, driven from
// .NET through Playwright's evaluate(). Local ICE candidates leave the page through the binding
// window.__benchCandidate(peerName, candidateJsonOrNull). Every measured loop runs inside the page
// (no Playwright round trip per message); bulk senders reuse one buffer, as a real application would.
window.bench = (() => {
  const peers = new Map();
  const get = (name) => {
    const p = peers.get(name);
    if (!p) throw new Error(`no peer named ${name}`);
    return p;
  };
  const withTimeout = (promise, ms, what) => Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms)),
  ]);

  function create(name) {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const p = { pc, channels: new Map(), waiters: new Map(), pending: [], received: null, ctl: null, ctlWaiters: [] };
    peers.set(name, p);
    pc.onicecandidate = (e) => window.__benchCandidate(name, e.candidate && e.candidate.candidate ? JSON.stringify(e.candidate.toJSON()) : null);
    pc.ondatachannel = (e) => track(p, e.channel);
    return true;
  }

  function track(p, ch) {
    ch.binaryType = 'arraybuffer';
    if (ch.label === 'ctl') {
      p.ctl = ch;
      p.ctlWaiters.splice(0).forEach((w) => w(ch));
      return;
    }
    p.channels.set(ch.id, ch);
    (p.waiters.get(ch.id) || []).forEach((w) => w(ch));
    p.waiters.delete(ch.id);
  }

  // A negotiated channel (no DCEP): both ends create it with the same id.
  function channel(name, id) {
    const p = get(name);
    track(p, p.pc.createDataChannel(`bench${id}`, { negotiated: true, id, ordered: true }));
    return true;
  }

  async function waitOpen(name, id, timeoutMs) {
    const p = get(name);
    const ch = p.channels.get(id) || await withTimeout(new Promise((resolve) => {
      const list = p.waiters.get(id) || [];
      list.push(resolve);
      p.waiters.set(id, list);
    }), timeoutMs, `channel ${id} to appear`);
    if (ch.readyState !== 'open') {
      await withTimeout(new Promise((resolve, reject) => {
        ch.addEventListener('open', () => resolve(), { once: true });
        ch.addEventListener('close', () => reject(new Error(`channel ${id} closed before opening`)), { once: true });
      }), timeoutMs, `channel ${id} to open (pc=${p.pc.connectionState})`);
    }
    return true;
  }

  // The set-up probe: a DCEP channel 'ctl' (the offerer creates it, the answerer learns of it).
  function ctl(name) {
    const p = get(name);
    track(p, p.pc.createDataChannel('ctl'));
    return true;
  }

  async function waitCtl(name, timeoutMs) {
    const p = get(name);
    const ch = p.ctl || await withTimeout(new Promise((resolve) => p.ctlWaiters.push(resolve)), timeoutMs, 'ctl channel to appear');
    if (ch.readyState !== 'open') {
      await withTimeout(new Promise((resolve) => ch.addEventListener('open', () => resolve(), { once: true })), timeoutMs, 'ctl channel to open');
    }
    return true;
  }

  async function offer(name) {
    const p = get(name);
    const o = await p.pc.createOffer();
    await p.pc.setLocalDescription(o);
    return { type: o.type, sdp: o.sdp };
  }

  async function flush(p) {
    for (const c of p.pending.splice(0)) await p.pc.addIceCandidate(c);
  }

  async function answer(name, remote) {
    const p = get(name);
    await p.pc.setRemoteDescription(remote);
    await flush(p);
    const a = await p.pc.createAnswer();
    await p.pc.setLocalDescription(a);
    return { type: a.type, sdp: a.sdp };
  }

  async function accept(name, remote) {
    const p = get(name);
    await p.pc.setRemoteDescription(remote);
    await flush(p);
    return true;
  }

  async function addCandidate(name, json) {
    const p = get(name);
    const c = JSON.parse(json);
    if (!p.pc.remoteDescription) p.pending.push(c); else await p.pc.addIceCandidate(c);
    return true;
  }

  // Sends `total` bytes in `size`-byte messages (one reused buffer) with back-pressure: pauses while
  // bufferedAmount > high, resumes at bufferedamountlow (threshold `low`). Resolves when all is queued.
  function sendBulk(name, id, total, size, high, low, timeoutMs) {
    const ch = get(name).channels.get(id);
    const buf = new Uint8Array(size);
    for (let i = 0; i < size; i++) buf[i] = (i * 31 + 7) & 255;
    ch.bufferedAmountLowThreshold = low;
    let sent = 0;
    return withTimeout(new Promise((resolve, reject) => {
      const pump = () => {
        try {
          while (sent < total) {
            if (ch.bufferedAmount > high) {
              ch.onbufferedamountlow = () => { ch.onbufferedamountlow = null; pump(); };
              return;
            }
            ch.send(buf);
            sent += size;
          }
          resolve(sent);
        } catch (err) { reject(new Error(`send failed after ${sent} bytes: ${err}`)); }
      };
      pump();
    }), timeoutMs, `bulk send (${sent} of ${total} bytes)`);
  }

  // Counts incoming bytes until `total` arrived; collect with received().
  function armCount(name, id, total) {
    const p = get(name);
    const ch = p.channels.get(id);
    let got = 0;
    p.received = new Promise((resolve) => {
      ch.onmessage = (e) => {
        got += e.data.byteLength;
        if (got >= total) { ch.onmessage = null; resolve(got); }
      };
    });
    return true;
  }

  function received(name, timeoutMs) {
    return withTimeout(get(name).received, timeoutMs, 'bulk receive');
  }

  function echo(name, id) {
    const ch = get(name).channels.get(id);
    ch.onmessage = (e) => ch.send(e.data);
    return true;
  }

  // count + warmup messages of `size` bytes, each sent when the previous echo arrived; microseconds.
  function pingPong(name, id, count, size, warmup, timeoutMs) {
    const ch = get(name).channels.get(id);
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

  function closeChannel(name, id) {
    const p = get(name);
    const ch = p.channels.get(id);
    if (ch) { ch.onmessage = null; ch.close(); p.channels.delete(id); }
    return true;
  }

  function close(name) {
    const p = peers.get(name);
    if (p) { p.pc.close(); peers.delete(name); }
    return true;
  }

  return { create, ctl, waitCtl, channel, waitOpen, offer, answer, accept, addCandidate, sendBulk, armCount, received, echo, pingPong, closeChannel, close };
})();
