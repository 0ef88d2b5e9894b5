// The interop scenario of ../PROTOCOL.md, written once against the W3C RTCPeerConnection /
// RTCDataChannel API. Runs unchanged in a browser page (as a classic script: window.InteropScenario)
// and in Node (require): the caller passes an `env` with the stack-specific pieces (see run()).
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.InteropScenario = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const TEXT = 'interop: ünïcödé ✓ 漢字 🙂';
  const CHUNK = 16384;
  const COUNT = 100;
  const MIB = 1024 * 1024;
  const HIGH_WATER = 4 * MIB;
  const LOW_WATER = 1 * MIB;
  const LOOPBACK = '127.0.0.1';
  const LAB = /^198\.51\.100\.\d{1,3}$/;
  const MDNS = /^[0-9a-f-]{36}\.local$/i;
  // The NAT lab's addresses (docs/deploying.md, "The NAT lab"): its public segment, coturn and the routers'
  // mappings in 198.18.0.0/15, its LANs in 203.0.113.0/24. Only inside namespaces the test creates.
  const NAT_LAB = /^(198\.(1[89])|203\.0\.113)\.\d{1,3}(\.\d{1,3})?$/;

  // Parses "candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...".
  function parseCandidate(line) {
    const parts = String(line || '').replace(/^a=/, '').replace(/^candidate:/, '').trim().split(/\s+/);
    if (parts.length < 8) return null;
    return { transport: parts[2].toLowerCase(), address: parts[4], type: parts[7] };
  }

  // Whether a candidate line may be used: UDP, IPv4 on 127.0.0.1 (or the lab range when allowed), an mDNS
  // <uuid>.local name when allowed (a browser on default settings, inside a namespace lab), or any address of the
  // NAT lab when allowed (a browser in a lab host, with the lab's coturn as its ICE server).
  function candidateAllowed(line, allowLab, allowMdns, allowNatLab) {
    const c = parseCandidate(line);
    if (!c || c.transport !== 'udp') return false;
    return c.address === LOOPBACK || (allowLab && LAB.test(c.address)) || (!!allowMdns && MDNS.test(c.address))
      || (!!allowNatLab && NAT_LAB.test(c.address));
  }

  // Removes the a=candidate lines of an SDP that candidateAllowed() rejects.
  function filterSdp(sdp, allowLab, dropped, allowMdns, allowNatLab) {
    return sdp.split(/\r\n/).filter((l) => {
      if (!l.startsWith('a=candidate:')) return true;
      if (candidateAllowed(l, allowLab, allowMdns, allowNatLab)) return true;
      dropped.push(l.slice(2));
      return false;
    }).join('\r\n');
  }

  function binaryConstant() {
    const b = new Uint8Array(256);
    for (let i = 0; i < 256; i++) b[i] = i;
    return b;
  }

  // Normalises a received message to a string or a Uint8Array (null for a Blob or unknown type).
  function asBytes(data) {
    if (typeof data === 'string') return data;
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return null;
  }

  function describe(data) {
    if (typeof data === 'string') return `string ${JSON.stringify(data.length > 40 ? data.slice(0, 40) + '…' : data)}`;
    const b = asBytes(data);
    return b ? `binary of ${b.length} bytes` : `unsupported message type ${Object.prototype.toString.call(data)}`;
  }

  function equalBytes(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  // The candidate pair the connection uses, from getStats(): the transport's selectedCandidatePairId (Chromium), else
  // the pair marked selected (Firefox), else a nominated succeeded one. Null when the stack has no such stats.
  async function selectedPair(pc) {
    if (typeof pc.getStats !== 'function') return null;
    const stats = await pc.getStats();
    const all = [];
    stats.forEach((s) => all.push(s));
    const transport = all.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = (transport && stats.get(transport.selectedCandidatePairId))
      || all.find((s) => s.type === 'candidate-pair' && s.selected)
      || all.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
    if (!pair) return null;
    const end = (id) => {
      const c = stats.get(id) || {};
      return { type: c.candidateType || null, address: c.address || c.ip || null, port: c.port ?? null, relayProtocol: c.relayProtocol || null };
    };
    return { local: end(pair.localCandidateId), remote: end(pair.remoteCandidateId) };
  }

  // env: { role, mib, stack, version, allowLocalLab, allowMdns?, allowNatLab?, reportSelectedPair?,
  //        holdCandidatesUntilAnswer?, acceptedOptionsKnown?,
  //        RTCPeerConnection, pcConfig,
  //        signal(obj), log(str),
  //        newHash() -> {update(Uint8Array), digestHex(): Promise<string>}, randomChunk(n) -> sendable bytes,
  //        sendable(Uint8Array) -> sendable bytes, now() -> ms }
  // Returns { deliver(msg), result: Promise<report>, close(), stage() }. result rejects with an Error on failure.
  function run(env) {
    const log = env.log;
    const offerer = env.role === 'offer';
    // false when the stack's API cannot tell the options of a channel it accepted (report: labels only).
    const acceptedOptionsKnown = env.acceptedOptionsKnown !== false;
    let stage = 'starting';
    let finished = false;
    let resolveResult, rejectResult;
    const result = new Promise((res, rej) => { resolveResult = res; rejectResult = rej; });
    const setStage = (s) => { stage = s; log(`stage: ${s}`); };
    const fail = (msg) => {
      if (finished) return;
      finished = true;
      rejectResult(new Error(`${msg} (stage: ${stage})`));
    };
    const guard = (fn) => (...a) => { try { return fn(...a); } catch (e) { fail(`exception: ${e && e.stack || e}`); } };
    const guardAsync = (p, what) => p.catch((e) => fail(`${what}: ${e && e.message || e}`));

    const pc = new env.RTCPeerConnection(env.pcConfig);
    const channels = {};
    const accepted = [];
    const pendingCandidates = [];
    let remoteSet = false;
    const stats = { text: false, binary: false, bulkBytes: 0, bulkSeconds: 0, hashOk: false, unordered: new Set(), partial: 0 };
    let sentDone = false, receivedDone = false, closing = false, closeObserved = null;
    let resolveBulkSent, resolveRecvDone, resolvePeerDone, resolveCloseObserved;
    const bulkSent = new Promise((r) => { resolveBulkSent = r; });
    const recvHash = new Promise((r) => { resolveRecvDone = r; });
    const peerDone = new Promise((r) => { resolvePeerDone = r; });
    const peerClosed = new Promise((r) => { resolveCloseObserved = r; });
    let resolveUnordered;
    const unorderedComplete = new Promise((r) => { resolveUnordered = r; });
    const myCloseLabel = offerer ? 'unordered' : 'partial';
    const awaitLabel = offerer ? 'partial' : 'unordered';

    // --- signaling -------------------------------------------------------------------------------
    // env.holdCandidatesUntilAnswer (offerer): print the offer without candidates and trickle them
    // only once the answer is set, so a fast answerer cannot start DTLS before this side knows its
    // fingerprint (libdatachannel then fails the handshake with "unknown CA").
    const holding = () => env.holdCandidatesUntilAnswer && offerer && !remoteSet;
    const heldCandidates = [];
    const sentCandidates = new Set();
    function emitCandidate(msg) {
      if (msg.candidate && sentCandidates.has(msg.candidate)) return;
      if (msg.candidate) sentCandidates.add(msg.candidate);
      if (holding()) heldCandidates.push(msg); else env.signal(msg);
    }
    pc.addEventListener('icecandidate', guard((ev) => {
      const c = ev && ev.candidate;
      if (!c || !c.candidate) { log('local end-of-candidates'); emitCandidate({ type: 'candidate', candidate: '' }); return; }
      const line = c.candidate.replace(/^a=/, ''); // libdatachannel's lines start with "a="
      if (!candidateAllowed(line, env.allowLocalLab, env.allowMdns, env.allowNatLab)) { log(`dropped local candidate ${line}`); return; }
      log(`local candidate ${line}`);
      emitCandidate({ type: 'candidate', candidate: line, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null });
    }));
    pc.addEventListener('connectionstatechange', guard(() => {
      const s = pc.connectionState;
      log(`connection state ${s}`);
      if (s === 'failed' || s === 'closed') fail(`peer connection ${s}`);
    }));

    function printLocal(type) {
      const dropped = [];
      let sdp = filterSdp(pc.localDescription.sdp, env.allowLocalLab, dropped, env.allowMdns, env.allowNatLab);
      dropped.forEach((l) => log(`dropped local candidate in SDP ${l}`));
      if (holding()) { // move the SDP's candidates to held candidate lines
        let mid = null, index = -1, endOfCandidates = false;
        sdp = sdp.split('\r\n').filter((l) => {
          if (l.startsWith('m=')) { index++; mid = null; }
          if (l.startsWith('a=mid:')) mid = l.slice(6);
          if (l === 'a=end-of-candidates') { endOfCandidates = true; return false; }
          if (!l.startsWith('a=candidate:')) return true;
          emitCandidate({ type: 'candidate', candidate: l.slice(2), sdpMid: mid, sdpMLineIndex: index });
          return false;
        }).join('\r\n');
        if (endOfCandidates) emitCandidate({ type: 'candidate', candidate: '' }); // after the held ones
      }
      env.signal({ type, sdp });
    }

    async function addRemoteCandidate(msg) {
      if (!msg.candidate) return; // end-of-candidates: ignored
      const line = String(msg.candidate).replace(/^a=/, '');
      if (!candidateAllowed(line, true, env.allowMdns, env.allowNatLab)) { log(`ignored remote candidate ${line}`); return; }
      const init = { candidate: line, sdpMid: msg.sdpMid ?? null, sdpMLineIndex: msg.sdpMLineIndex ?? null };
      if (init.sdpMid === null && init.sdpMLineIndex === null) init.sdpMLineIndex = 0;
      if (init.sdpMid === null) delete init.sdpMid;
      if (init.sdpMLineIndex === null) delete init.sdpMLineIndex;
      log(`remote candidate ${line}`);
      await pc.addIceCandidate(init);
    }

    async function setRemote(msg) {
      const dropped = [];
      const sdp = filterSdp(msg.sdp, true, dropped, env.allowMdns, env.allowNatLab);
      dropped.forEach((l) => log(`ignored remote candidate in SDP ${l}`));
      await pc.setRemoteDescription({ type: msg.type, sdp });
      remoteSet = true;
      for (const c of heldCandidates.splice(0)) env.signal(c);
      for (const c of pendingCandidates.splice(0)) await addRemoteCandidate(c);
    }

    let signalChain = Promise.resolve();
    function deliver(msg) {
      signalChain = signalChain.then(async () => {
        if (finished) return;
        if (msg.type === 'candidate') {
          if (remoteSet) await addRemoteCandidate(msg); else pendingCandidates.push(msg);
        } else if (msg.type === 'offer' && !offerer) {
          setStage('answering');
          await setRemote(msg);
          const answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          printLocal('answer');
          setStage('connecting');
        } else if (msg.type === 'answer' && offerer) {
          await setRemote(msg);
          setStage('connecting');
        } else if (msg.type === 'offer' || msg.type === 'answer') {
          throw new Error(`unexpected ${msg.type} for role ${env.role}`);
        }
      }).catch((e) => fail(`signaling (${msg.type}): ${e && e.message || e}`));
    }

    // --- channels --------------------------------------------------------------------------------
    function waitLow(dc) {
      return new Promise((resolve) => dc.addEventListener('bufferedamountlow', () => resolve(), { once: true }));
    }

    async function sendReliable(dc) {
      dc.send(TEXT);
      dc.send(env.sendable(binaryConstant()));
      dc.bufferedAmountLowThreshold = LOW_WATER;
      const hash = env.newHash();
      const chunks = Math.ceil(env.mib * MIB / CHUNK);
      for (let i = 0; i < chunks; i++) {
        while (dc.bufferedAmount > HIGH_WATER) {
          await waitLow(dc);
          if (finished) return;
        }
        if (dc.readyState !== 'open') throw new Error(`reliable is ${dc.readyState} while sending bulk`);
        const chunk = env.randomChunk(CHUNK);
        hash.update(chunk);
        dc.send(chunk);
      }
      dc.send(`sha256:${await hash.digestHex()}`);
      log(`sent ${chunks} bulk chunks and the hash`);
      resolveBulkSent();
    }

    // The peer may legitimately close `partial` before this side's partial channel even reports open
    // (done does not wait for partial): a send on a closed channel stops the sending, it is no failure.
    // (The peer's own checks catch a real loss: it is not done until unordered has all 100.)
    function sendSmall(dc, prefix) {
      for (let i = 0; i < COUNT; i++) {
        try {
          if (dc.readyState !== 'open') throw new Error(`channel is ${dc.readyState}`);
          dc.send(`${prefix}${i}`);
        } catch (e) {
          log(`stopped sending on ${dc.label} after ${i} messages: ${e && e.message || e}`);
          return;
        }
      }
    }

    // Checks the reliable channel's messages in order. Synchronous except while the bulk hash is
    // computed (crypto.subtle is async): messages arriving meanwhile wait in `backlog`.
    function reliableReceiver() {
      const BIN = binaryConstant();
      let step = 0; // 0 TEXT, 1 BINARY, 2 bulk, 3 done
      let hash = null, first = 0, busy = false;
      const backlog = [];
      const handle = (data, at) => {
        const d = asBytes(data);
        if (step === 0) {
          if (d !== TEXT) throw new Error(`reliable: first message should be TEXT, got ${describe(data)}`);
          stats.text = true; step = 1;
        } else if (step === 1) {
          if (typeof d === 'string' || !d || !equalBytes(d, BIN)) throw new Error(`reliable: second message should be the 256-byte BINARY, got ${describe(data)}`);
          stats.binary = true; step = 2; hash = env.newHash();
        } else if (step === 2) {
          if (d && typeof d !== 'string') {
            if (stats.bulkBytes === 0) { first = at; setStage('receiving bulk'); }
            stats.bulkBytes += d.length;
            hash.update(d);
            if (stats.bulkBytes % (4 * MIB) < d.length) log(`bulk: ${Math.floor(stats.bulkBytes / MIB)} MiB received`);
          } else if (typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d)) {
            stats.bulkSeconds = stats.bulkBytes ? (at - first) / 1000 : 0;
            busy = true;
            hash.digestHex().then((mine) => {
              if (`sha256:${mine}` !== d) throw new Error(`reliable: bulk hash mismatch after ${stats.bulkBytes} bytes: got ${d}, computed sha256:${mine}`);
              stats.hashOk = true; step = 3; busy = false;
              log(`bulk received: ${stats.bulkBytes} bytes in ${stats.bulkSeconds.toFixed(3)} s, hash ok`);
              resolveRecvDone();
              while (!busy && backlog.length && !finished) handle(...backlog.shift());
            }).catch((e) => fail(e.message));
          } else {
            throw new Error(`reliable: expected bulk or the sha256 line, got ${describe(data)}`);
          }
        } else if (d === 'done' && !receivedDone) {
          receivedDone = true; resolvePeerDone();
        } else {
          throw new Error(`reliable: unexpected ${describe(data)} after the hash line`);
        }
      };
      return (data) => {
        if (finished) return;
        if (busy) backlog.push([data, env.now()]); else handle(data, env.now());
      };
    }

    function unorderedReceiver(data) {
      if (typeof data !== 'string' || !/^u\d{1,2}$/.test(data)) return fail(`unordered: unexpected ${describe(data)}`);
      stats.unordered.add(data);
      if (stats.unordered.size === COUNT) resolveUnordered();
    }

    function partialReceiver(data) {
      if (typeof data !== 'string' || !/^p\d{1,2}$/.test(data)) return fail(`partial: unexpected ${describe(data)}`);
      stats.partial++;
    }

    // Wires a channel (ours or announced) and starts its sending once it is open.
    function attach(dc) {
      const label = dc.label;
      try { dc.binaryType = 'arraybuffer'; } catch (e) { log(`binaryType: ${e.message}`); }
      channels[label] = dc;
      const onMessage = label === 'reliable' ? reliableReceiver() : label === 'unordered' ? unorderedReceiver : partialReceiver;
      dc.addEventListener('message', guard((ev) => onMessage(ev.data)));
      dc.addEventListener('error', (ev) => log(`channel ${label} error: ${ev && (ev.error && ev.error.message || ev.message) || ev}`));
      dc.addEventListener('close', guard(() => {
        log(`channel ${label} closed`);
        if (finished) return;
        if (label === myCloseLabel && closing) return;
        if (label === awaitLabel && sentDone) { closeObserved = label; resolveCloseObserved(); return; }
        fail(`channel ${label} closed early`);
      }));
      let started = false;
      const start = guard(() => {
        if (started || finished) return;
        started = true;
        log(`channel ${label} open`);
        if (label === 'reliable') {
          setStage('exchanging');
          guardAsync(sendReliable(dc), 'sending on reliable');
          if (offerer) {
            attach(pc.createDataChannel('unordered', { ordered: false }));
            attach(pc.createDataChannel('partial', { maxRetransmits: 0 }));
          }
        } else {
          sendSmall(dc, label === 'unordered' ? 'u' : 'p');
        }
      });
      if (dc.readyState === 'open') start(); else dc.addEventListener('open', start);
    }

    pc.addEventListener('datachannel', guard((ev) => {
      const dc = ev.channel;
      if (acceptedOptionsKnown) {
        accepted.push({ label: dc.label, ordered: dc.ordered, maxRetransmits: dc.maxRetransmits ?? null });
        log(`accepted channel ${dc.label} ordered=${dc.ordered} maxRetransmits=${dc.maxRetransmits}`);
      } else {
        accepted.push({ label: dc.label });
        log(`accepted channel ${dc.label} (this stack's API does not tell its options)`);
      }
      if (!['reliable', 'unordered', 'partial'].includes(dc.label)) return fail(`unexpected channel label ${JSON.stringify(dc.label)}`);
      if (offerer) return fail(`the answerer opened channel ${dc.label}`);
      attach(dc);
    }));

    // --- the sequence ----------------------------------------------------------------------------
    (async () => {
      if (offerer) {
        attach(pc.createDataChannel('reliable'));
        setStage('offering');
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        printLocal('offer');
        setStage('waiting for the answer');
      } else {
        setStage('waiting for the offer');
      }
      await Promise.all([bulkSent, recvHash, unorderedComplete]);
      if (finished) return;
      channels.reliable.send('done');
      sentDone = true;
      setStage('sent done, waiting for done');
      await peerDone;
      if (finished) return;
      closing = true;
      setStage(`closing ${myCloseLabel}, waiting for the peer to close ${awaitLabel}`);
      channels[myCloseLabel].close();
      await peerClosed;
      if (finished) return;
      const selected = env.reportSelectedPair ? await selectedPair(pc) : undefined;
      if (finished) return;
      finished = true;
      const bulkSeconds = Math.round(stats.bulkSeconds * 1000) / 1000;
      resolveResult({
        type: 'report', ok: true, stack: env.stack, version: env.version, role: env.role,
        text: stats.text, binary: stats.binary, bulkBytes: stats.bulkBytes, bulkSeconds,
        bulkMBps: stats.bulkSeconds > 0 ? Math.round(stats.bulkBytes / stats.bulkSeconds / 1e5) / 10 : 0,
        hashOk: stats.hashOk, unordered: stats.unordered.size, partial: stats.partial,
        accepted, ...(acceptedOptionsKnown ? {} : { acceptedOptionsKnown: false }), closeObserved,
        ...(env.reportSelectedPair ? { selectedPair: selected } : {}),
      });
    })().catch((e) => fail(`${e && e.message || e}`));

    return {
      deliver,
      result,
      stage: () => stage,
      close: () => { finished = true; try { pc.close(); } catch (e) { log(`close: ${e.message}`); } },
    };
  }

  return { run, TEXT, candidateAllowed };
});
