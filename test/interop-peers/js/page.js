// In-page glue of browser-peer.js: runs scenario.js with the browser's own RTCPeerConnection.
// The driver exposes __signal(line), __log(text), __finish(json) and calls __start / __deliver / __close.
'use strict';
(function () {
  let sc = null;

  // crypto.subtle has no incremental SHA-256: keep the bulk and hash it all at the end.
  function newHash() {
    const parts = [];
    let size = 0;
    return {
      update: (b) => { parts.push(b); size += b.length; }, // b is not reused by the caller
      digestHex: async () => {
        const all = new Uint8Array(size);
        let at = 0;
        for (const p of parts) { all.set(p, at); at += p.length; }
        const d = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
        return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
      },
    };
  }

  window.__start = (opts) => {
    sc = window.InteropScenario.run({
      role: opts.role, mib: opts.mib, stack: opts.stack, version: opts.version, allowLocalLab: opts.allowLocalLab, allowMdns: opts.allowMdns,
      allowNatLab: opts.natLab, reportSelectedPair: opts.natLab,
      RTCPeerConnection: window.RTCPeerConnection, pcConfig: { iceServers: opts.iceServers || [] },
      signal: (obj) => window.__signal(JSON.stringify(obj)),
      log: (text) => window.__log(text),
      newHash,
      randomChunk: (n) => crypto.getRandomValues(new Uint8Array(n)),
      sendable: (u8) => u8,
      now: () => performance.now(),
    });
    sc.result.then(
      (report) => window.__finish(JSON.stringify({ report })),
      (e) => window.__finish(JSON.stringify({ error: e && e.message || String(e) })));
  };
  window.__deliver = (line) => { if (sc) sc.deliver(JSON.parse(line)); };
  window.__close = () => { if (sc) sc.close(); };
})();
