#!/usr/bin/env node
// Interop peer on a real browser (../PROTOCOL.md), driven with puppeteer-core:
//   node browser-peer.js --browser chromium|firefox --role offer|answer [--mib N] [--timeout S]
// Launches Debian's /usr/bin/chromium or /usr/bin/firefox-esr headless (never a downloaded browser),
// serves page.js + scenario.js from 127.0.0.1, runs the scenario in the page with the browser's own
// RTCPeerConnection and bridges the signaling lines stdin -> page and page -> stdout.
'use strict';
const cli = require('./cli');
const opts = cli.parseArgs(process.argv.slice(2), { browser: ['chromium', 'firefox'] });

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { log } = cli;

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--allow-loopback-in-peer-connection']; // headless: puppeteer adds --headless=new
// P2P_BROWSER_DEFAULT_SETTINGS=1: the browser keeps its defaults (no camera permission for Chromium, Firefox's
// obfuscate_host_addresses left on), so it signals mDNS <uuid>.local names instead of host addresses; the
// scenario then forwards those names. Only for a namespace lab where the peer can resolve them (mDNS tests).
const DEFAULT_SETTINGS = process.env.P2P_BROWSER_DEFAULT_SETTINGS === '1';
// P2P_BROWSER_ICE_SERVERS='[{"urls":[...],"username":...,"credential":...}]': the NAT lab's own coturn (never a public
// server), given to the page's RTCPeerConnection as iceServers. It also lets the scenario use the lab's addresses
// (198.18.0.0/15, 203.0.113.0/24) and adds the browser's selected candidate pair (getStats) to the report.
const ICE_SERVERS = process.env.P2P_BROWSER_ICE_SERVERS ? JSON.parse(process.env.P2P_BROWSER_ICE_SERVERS) : null;
const FIREFOX_PREFS = {
  ...(DEFAULT_SETTINGS ? {} : { 'media.peerconnection.ice.obfuscate_host_addresses': false }), // real addresses, not mDNS names
  'media.peerconnection.ice.loopback': true, // lets it pair with a peer's 127.0.0.1 candidate
};
// Firefox 153 ESR never gathers 127.0.0.1, not even with the loopback pref, so it offers the lab address
// of the test's namespace (198.51.100.0/24, see PROTOCOL.md). Without the loopback pref it also never
// answers a peer bound to 127.0.0.1 only (libdatachannel, werift here): ICE/DTLS then times out.

// Serves the page and its two scripts, nothing else.
function serve() {
  const files = { '/scenario.js': 'scenario.js', '/page.js': 'page.js' };
  const html = '<!doctype html><meta charset="utf-8"><title>interop</title>' +
    '<script src="/scenario.js"></script><script src="/page.js"></script>';
  const server = http.createServer((req, res) => {
    if (req.url === '/') { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(html); return; }
    if (files[req.url]) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(fs.readFileSync(path.join(__dirname, files[req.url])));
      return;
    }
    res.writeHead(req.url === '/favicon.ico' ? 204 : 404); res.end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

let server = null, browser = null, page = null, stage = 'launching the browser';

async function start() {
  const { default: puppeteer } = await import('puppeteer-core');
  server = await serve();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const common = { headless: true, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false, protocolTimeout: 30000 };
  browser = opts.browser === 'chromium'
    ? await puppeteer.launch({ ...common, executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
    : await puppeteer.launch({ ...common, browser: 'firefox', executablePath: '/usr/bin/firefox-esr', extraPrefsFirefox: FIREFOX_PREFS });
  const raw = await browser.version();
  const version = raw.replace(/^[^/]*\//, '');
  log(`browser ${raw} pid ${browser.process() && browser.process().pid}`);

  let finish;
  const finished = new Promise((resolve, reject) => { finish = { resolve, reject }; });
  browser.on('disconnected', () => finish.reject(new Error(`the browser went away (stage: ${stage})`)));
  if (opts.browser === 'chromium' && !DEFAULT_SETTINGS) {
    // Without a media permission Chromium hides host addresses behind mDNS names.
    await browser.defaultBrowserContext().setPermission(origin, { permission: { name: 'camera' }, state: 'granted' });
  }
  page = await browser.newPage();
  page.on('pageerror', (e) => log(`page error: ${e && e.message || e}`));
  page.on('error', (e) => finish.reject(new Error(`the page crashed: ${e && e.message || e} (stage: ${stage})`)));
  page.on('console', (m) => log(`page console: ${m.text()}`));
  await page.exposeFunction('__signal', (line) => { cli.signal(JSON.parse(line)); });
  await page.exposeFunction('__log', (text) => {
    if (text.startsWith('stage: ')) stage = text.slice(7);
    log(text);
  });
  await page.exposeFunction('__finish', (json) => {
    const r = JSON.parse(json);
    if (r.report) finish.resolve(r.report); else finish.reject(new Error(r.error));
  });
  await page.goto(origin + '/', { waitUntil: 'load' });
  stage = 'starting';
  await page.evaluate((o) => window.__start(o), {
    role: opts.role, mib: opts.mib, stack: opts.browser, version, allowLocalLab: opts.browser === 'firefox',
    allowMdns: DEFAULT_SETTINGS, natLab: ICE_SERVERS !== null, iceServers: ICE_SERVERS || [],
  });
  let chain = Promise.resolve();
  cli.onLine((msg) => {
    const line = JSON.stringify(msg);
    chain = chain.then(() => page.evaluate((l) => window.__deliver(l), line))
      .catch((e) => finish.reject(new Error(`delivering a ${msg.type} line to the page: ${e.message}`)));
  });
  return finished;
}

// Closes the page's peer connection, then the browser; kills its process group if it lingers.
async function cleanup() {
  const proc = browser && browser.process();
  const within = (p, ms) => Promise.race([p, new Promise((r) => setTimeout(r, ms))]);
  try {
    if (page) await within(page.evaluate(() => window.__close && window.__close()).catch(() => {}), 1500);
    if (browser) await within(browser.close().catch(() => {}), 2500);
  } finally {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      log(`killing browser process group ${proc.pid}`);
      try { process.kill(-proc.pid, 'SIGKILL'); } catch { try { proc.kill('SIGKILL'); } catch { /* gone */ } }
    }
    if (server) server.close();
  }
}

process.on('exit', () => {
  const proc = browser && browser.process();
  if (proc && proc.exitCode === null && proc.signalCode === null) { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }
});

cli.runPeer(opts, { stack: opts.browser }, { start, stage: () => stage, cleanup });
