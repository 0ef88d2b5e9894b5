#!/usr/bin/env node
// Pairs two interop peers by hand (see PROTOCOL.md): starts OFFERER and ANSWERER (each a shell
// command line; --role and the options given here are appended), carries each one's JSON lines to the
// other's stdin, and once both have printed their report (or exited) closes both stdins, waits for
// both to exit and prints the two reports. Exit 0 when both reports are ok and both peers exited 0.
//   node pair.js "node js/werift-peer.js" "pion/bin/pion-peer" [--mib N] [--timeout S]
// The peers run their own --timeout (default 90 s); pair.js kills both 15 s after it.
'use strict';
const { spawn } = require('node:child_process');
const readline = require('node:readline');

const usage = 'usage: node pair.js "OFFERER COMMAND" "ANSWERER COMMAND" [--mib N] [--timeout S]\n';
const cmds = [];
const options = {};
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--mib' || args[i] === '--timeout') {
    const value = Number(args[i + 1]);
    if (!Number.isInteger(value) || value <= 0) {
      process.stderr.write(`pair.js: ${args[i]} needs a positive whole number\n${usage}`);
      process.exit(2);
    }
    options[args[i]] = value;
    i++;
  } else {
    cmds.push(args[i]);
  }
}
if (cmds.length !== 2) {
  process.stderr.write(usage);
  process.exit(2);
}
const timeoutS = options['--timeout'] ?? 90;
const extra = Object.entries(options).map(([k, v]) => `${k} ${v}`).join(' ');

const peers = ['offer', 'answer'].map((role, i) => {
  // exec: the shell becomes the peer, so a kill reaches the peer itself.
  const child = spawn('/bin/sh', ['-c', `exec ${cmds[i]} --role ${role} ${extra}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  const peer = { role, child, report: null, exit: null };
  readline.createInterface({ input: child.stderr }).on('line', (l) => process.stderr.write(`[${role}] ${l}\n`));
  // 'close', not 'exit': it comes after the peer's stdout and stderr are drained, so no report is missed.
  child.on('close', (code, signal) => { peer.exit = code ?? signal; check(); });
  child.on('error', (e) => { process.stderr.write(`[${role}] could not start: ${e.message}\n`); peer.exit = 'error'; check(); });
  child.stdin.on('error', () => {}); // the peer may exit before it reads everything
  return peer;
});

peers.forEach((peer, i) => {
  const other = peers[1 - i];
  readline.createInterface({ input: peer.child.stdout }).on('line', (line) => {
    let msg;
    try { msg = JSON.parse(line); } catch { process.stderr.write(`[${peer.role}] NOT JSON on stdout: ${line}\n`); return; }
    if (msg.type === 'report') { peer.report = msg; check(); return; }
    process.stderr.write(`[${peer.role} -> ${other.role}] ${line.length > 160 ? line.slice(0, 160) + '…' : line}\n`);
    if (other.exit === null && !other.child.stdin.destroyed) other.child.stdin.write(line + '\n');
  });
});

let finished = false;
const timer = setTimeout(() => {
  process.stderr.write(`pair.js: no result after ${timeoutS + 15} s; killing both peers\n`);
  peers.forEach((p) => { if (p.exit === null) p.child.kill('SIGKILL'); });
  finish(1);
}, (timeoutS + 15) * 1000);

function check() {
  if (finished) return;
  if (!peers.every((p) => p.report || p.exit !== null)) return;
  peers.forEach((p) => { if (!p.child.stdin.destroyed) p.child.stdin.end(); });
  if (peers.every((p) => p.exit !== null)) finish(peers.every((p) => p.report && p.report.ok && p.exit === 0) ? 0 : 1);
}

function finish(code) {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  for (const p of peers) console.log(JSON.stringify({ role: p.role, exit: p.exit, report: p.report }));
  process.exitCode = code;
  setImmediate(() => process.exit(code));
}
