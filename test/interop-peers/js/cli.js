// Shared Node-side plumbing of the interop peers (../PROTOCOL.md): command line, stdin lines
// (buffered from the moment this module loads), stdout JSON lines, logging to stderr, the timeout,
// the single report line and the exit codes (0 ok, 1 failure, 2 usage, 3 timeout).
'use strict';
const readline = require('node:readline');

const log = (msg) => process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${msg}\n`);

// Reads stdin at once; lines wait in `queue` until a consumer is set with onLine().
const stdin = { queue: [], consumer: null, eof: false, onEof: null };
readline.createInterface({ input: process.stdin, terminal: false })
  .on('line', (line) => {
    if (!line.trim()) return;
    let msg;
    try { msg = JSON.parse(line); } catch { log(`ignoring a stdin line that is not JSON: ${line.slice(0, 120)}`); return; }
    if (stdin.consumer) stdin.consumer(msg); else stdin.queue.push(msg);
  })
  .on('close', () => { stdin.eof = true; if (stdin.onEof) stdin.onEof(); });

function onLine(fn) {
  stdin.consumer = fn;
  for (const m of stdin.queue.splice(0)) fn(m);
}

// Parses `--role offer|answer [--mib N] [--timeout S]` plus extra options named in `extra`
// (a map of option name -> array of allowed values). Exits 2 on anything else.
function parseArgs(argv, extra = {}) {
  const opts = { role: null, mib: 16, timeout: 90 };
  const usage = (why) => {
    const more = Object.entries(extra).map(([k, v]) => ` --${k} ${v.join('|')}`).join('');
    process.stderr.write(`error: ${why}\nusage: ${process.argv[1]}${more} --role offer|answer [--mib N] [--timeout S]\n`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : null;
    const value = argv[i + 1];
    if (name === null) usage(`unexpected argument ${JSON.stringify(argv[i])}`);
    if (value === undefined) usage(`--${name} needs a value`);
    i++;
    if (name === 'role') {
      if (value !== 'offer' && value !== 'answer') usage(`bad --role ${JSON.stringify(value)}`);
      opts.role = value;
    } else if (name === 'mib' || name === 'timeout') {
      const n = Number(value);
      if (!/^\d+(\.\d+)?$/.test(value) || !(name === 'mib' ? n >= 0 : n > 0)) usage(`bad --${name} ${JSON.stringify(value)}`);
      opts[name] = n;
    } else if (Object.prototype.hasOwnProperty.call(extra, name)) {
      if (!extra[name].includes(value)) usage(`bad --${name} ${JSON.stringify(value)}`);
      opts[name] = value;
    } else {
      usage(`unknown option ${argv[i - 1]}`);
    }
  }
  if (!opts.role) usage('missing --role');
  for (const k of Object.keys(extra)) if (!opts[k]) usage(`missing --${k}`);
  return opts;
}

const signal = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
process.stdout.on('error', (e) => log(`stdout: ${e.message}`));

// The scenario's env pieces that are the same for every Node stack (Buffers suit both werift and
// node-datachannel; SHA-256 is incremental).
function nodeEnv() {
  const crypto = require('node:crypto');
  return {
    newHash: () => {
      const h = crypto.createHash('sha256');
      return { update: (b) => h.update(b), digestHex: async () => h.digest('hex') };
    },
    randomChunk: (n) => crypto.randomBytes(n),
    sendable: (u8) => Buffer.from(u8),
    now: () => performance.now(),
    log,
    signal,
  };
}

// Runs one peer's life: the timeout, one report, exit codes, cleanup. `hooks`:
//   start() -> Promise<report>   (rejects with an Error on failure; may call signal() before)
//   stage() -> string            (where it is, for the timeout message)
//   cleanup() -> Promise|void    (close the peer connection, the browser...; must not hang)
function runPeer(opts, ident, hooks) {
  let reported = false;
  let exiting = false;
  const exit = async (code) => {
    if (exiting) return;
    exiting = true;
    clearTimeout(timer);
    const hard = setTimeout(() => { log('cleanup hung; exiting anyway'); process.exit(code); }, 5000);
    try { await hooks.cleanup(); } catch (e) { log(`cleanup: ${e && e.message || e}`); }
    clearTimeout(hard);
    // Let stdout drain before exiting.
    process.stdout.write('', () => process.exit(code));
  };
  const failReport = (error, code) => {
    if (reported) { exit(code); return; }
    reported = true;
    log(`FAILED: ${error}`);
    signal({ type: 'report', ok: false, stack: ident.stack, role: opts.role, error });
    exit(code);
  };
  const timer = setTimeout(() => failReport(`timeout after ${opts.timeout} s (stage: ${hooks.stage()})`, 3), opts.timeout * 1000);
  stdin.onEof = () => {
    if (reported) { log('stdin closed: closing the peer connection'); exit(0); } else failReport(`stdin closed before the scenario finished (stage: ${hooks.stage()})`, 1);
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => failReport(`killed by ${sig}`, 1));
  process.on('uncaughtException', (e) => failReport(`uncaught exception: ${e && e.stack || e}`, 1));
  process.on('unhandledRejection', (e) => failReport(`unhandled rejection: ${e && e.stack || e}`, 1));
  Promise.resolve().then(hooks.start).then((report) => {
    if (reported) return;
    reported = true;
    clearTimeout(timer);
    signal(report);
    log(`report printed (bulk ${report.bulkMBps} MB/s); waiting for stdin EOF`);
    if (stdin.eof) exit(0);
  }, (e) => failReport(e && e.message || String(e), 1));
}

// The installed version of an npm package of js/ (read from its package.json; some packages do not
// export ./package.json).
function packageVersion(name) {
  const file = require('node:path').join(__dirname, 'node_modules', name, 'package.json');
  return JSON.parse(require('node:fs').readFileSync(file, 'utf8')).version;
}

module.exports = { log, onLine, parseArgs, signal, runPeer, nodeEnv, packageVersion };
