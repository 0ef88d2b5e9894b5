#!/usr/bin/env node
// A browser RTCPeerConnection driven line by line for the ICE restart interop tests (IceRestartBrowserTests):
//   node restart-browser.js --browser chromium|firefox
// Launches Debian's /usr/bin/chromium or /usr/bin/firefox-esr headless through puppeteer-core (installed by
// test/interop-peers/js/install.sh; never a downloaded browser), never with an ICE server.
// stdin: one JSON command per line {"id":N,"cmd":"...",...}; stdout: one JSON line per reply {"id":N,"result":...}
// or {"id":N,"error":"..."}, and events {"event":"candidate","candidate":{...}|null}, {"event":"message","label":..,"text":..}.
// Logs go to stderr only.
'use strict';
const path = require('node:path');
const http = require('node:http');
const readline = require('node:readline');
const { createRequire } = require('node:module');

const browserName = process.argv[process.argv.indexOf('--browser') + 1];
if (!['chromium', 'firefox'].includes(browserName)) { console.error('usage: --browser chromium|firefox'); process.exit(2); }
const log = (m) => process.stderr.write(`[restart-browser ${browserName}] ${m}\n`);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

// The page side: one RTCPeerConnection; candidates of a description not applied yet are held until it is.
const PAGE = `
window.rt = (() => {
  let pc = null;
  const channels = new Map();
  let held = [];
  const ufragOf = (sdp) => { const m = /a=ice-ufrag:(\\S+)/.exec(sdp || ''); return m ? m[1] : null; };
  const track = (ch) => {
    channels.set(ch.label, ch);
    ch.onmessage = (e) => window.__event(JSON.stringify({ event: 'message', label: ch.label, text: String(e.data) }));
  };
  async function flush() {
    const remote = pc.remoteDescription ? ufragOf(pc.remoteDescription.sdp) : null;
    const keep = [];
    for (const c of held) {
      if (remote && (!c.usernameFragment || c.usernameFragment === remote)) await pc.addIceCandidate(c);
      else keep.push(c);
    }
    held = keep;
  }
  return {
    create() {
      pc = new RTCPeerConnection({ iceServers: [] });
      pc.onicecandidate = (e) => window.__event(JSON.stringify({ event: 'candidate',
        candidate: e.candidate && e.candidate.candidate ? e.candidate.toJSON() : null }));
      pc.ondatachannel = (e) => track(e.channel);
      return true;
    },
    createChannel(label) { track(pc.createDataChannel(label)); return true; },
    async offer() { const o = await pc.createOffer(); await pc.setLocalDescription(o); return { type: o.type, sdp: o.sdp }; },
    async answer(offer) {
      await pc.setRemoteDescription(offer); await flush();
      const a = await pc.createAnswer(); await pc.setLocalDescription(a); return { type: a.type, sdp: a.sdp };
    },
    async accept(answer) { await pc.setRemoteDescription(answer); await flush(); return true; },
    async candidate(c) { held.push(c); await flush(); return true; },
    restartIce() { pc.restartIce(); return true; },
    send(label, text) { channels.get(label).send(text); return true; },
    async waitOpen(label, ms) {
      const end = Date.now() + ms;
      while (!(channels.get(label) && channels.get(label).readyState === 'open')) {
        if (Date.now() > end) throw new Error('channel ' + label + ' did not open');
        await new Promise((r) => setTimeout(r, 10));
      }
      return true;
    },
    async waitConnected(ms) {
      if (pc.connectionState === 'connected') return true;
      await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('not connected: ' + pc.connectionState + '/' + pc.iceConnectionState)), ms);
        const check = () => {
          if (pc.connectionState === 'connected') { clearTimeout(t); resolve(); }
          else if (pc.connectionState === 'failed' || pc.connectionState === 'closed') { clearTimeout(t); reject(new Error('connection ' + pc.connectionState)); }
        };
        pc.addEventListener('connectionstatechange', check);
      });
      return true;
    },
    state() {
      return { pc: pc.connectionState, ice: pc.iceConnectionState, gathering: pc.iceGatheringState, signaling: pc.signalingState,
        localUfrag: pc.localDescription && ufragOf(pc.localDescription.sdp), remoteUfrag: pc.remoteDescription && ufragOf(pc.remoteDescription.sdp),
        channels: [...channels.values()].map((c) => c.label + ':' + c.readyState) };
    },
    close() { pc.close(); return true; },
  };
})();`;

async function main() {
  const req = createRequire(path.join(__dirname, '../../interop-peers/js/package.json'));
  const puppeteer = req('puppeteer-core');
  const server = http.createServer((q, s) => { s.writeHead(200, { 'content-type': 'text/html' }); s.end('<!doctype html><title>restart</title>'); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const common = { headless: true, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false, protocolTimeout: 30000 };
  const browser = browserName === 'chromium'
    ? await puppeteer.launch({ ...common, executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--allow-loopback-in-peer-connection'] })
    : await puppeteer.launch({ ...common, browser: 'firefox', executablePath: '/usr/bin/firefox-esr',
      extraPrefsFirefox: { 'media.peerconnection.ice.obfuscate_host_addresses': false, 'media.peerconnection.ice.loopback': true } });
  log(`launched ${await browser.version()}`);
  if (browserName === 'chromium') {
    // Without a media permission Chromium hides host addresses behind mDNS names.
    await browser.defaultBrowserContext().setPermission(origin, { permission: { name: 'camera' }, state: 'granted' });
  }
  const page = await browser.newPage();
  page.on('pageerror', (e) => log(`page error: ${e && e.message || e}`));
  await page.exposeFunction('__event', (line) => out(JSON.parse(line)));
  await page.goto(origin);
  await page.evaluate(PAGE);
  out({ event: 'ready', version: await browser.version() });

  const call = {
    create: () => page.evaluate(() => window.rt.create()),
    createChannel: (c) => page.evaluate((l) => window.rt.createChannel(l), c.label),
    offer: () => page.evaluate(() => window.rt.offer()),
    answer: (c) => page.evaluate((d) => window.rt.answer(d), c.description),
    accept: (c) => page.evaluate((d) => window.rt.accept(d), c.description),
    candidate: (c) => page.evaluate((x) => window.rt.candidate(x), c.candidate),
    restartIce: () => page.evaluate(() => window.rt.restartIce()),
    send: (c) => page.evaluate(([l, t]) => window.rt.send(l, t), [c.label, c.text]),
    waitOpen: (c) => page.evaluate(([l, t]) => window.rt.waitOpen(l, t), [c.label, c.timeoutMs]),
    waitConnected: (c) => page.evaluate((t) => window.rt.waitConnected(t), c.timeoutMs),
    state: () => page.evaluate(() => window.rt.state()),
  };

  // Commands run one at a time, in the order they arrive.
  let chain = Promise.resolve();
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    const c = JSON.parse(line);
    chain = chain.then(async () => {
      try {
        out({ id: c.id, result: await call[c.cmd](c) });
      } catch (e) {
        out({ id: c.id, error: String(e && e.message || e) });
      }
    });
  });
  rl.on('close', async () => {
    await chain;
    await browser.close().catch(() => {});
    server.close();
    process.exit(0);
  });
}

main().catch((e) => { log(`failed: ${e && e.stack || e}`); out({ event: 'fatal', error: String(e && e.message || e) }); process.exit(1); });
