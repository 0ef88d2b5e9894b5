#!/usr/bin/env node
// Pairs two interop peers by hand (see PROTOCOL.md): starts OFFERER and ANSWERER (each a shell
// command line; --role is appended), carries each one's JSON lines to the other's stdin, and once
// both have printed their report closes both stdins and prints the two reports. Exit 0 when both
// reports are ok.
//   node pair.js "node js/werift-peer.js" "./pion/pion-peer" [--mib N] [--timeout S]
'use strict';
const { spawn } = require('node:child_process');
const readline = require('node:readline');

const args = process.argv.slice(2);
const extra = [];
const cmds = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--mib' || args[i] === '--timeout') { extra.push(args[i], args[++i]); } else { cmds.push(args[i]); }
}
if (cmds.length !== 2) {
  process.stderr.write('usage: node pair.js "OFFERER COMMAND" "ANSWERER COMMAND" [--mib N] [--timeout S]\n');
  process.exit(2);
}
const timeoutS = Number(extra[extra.indexOf('--timeout') + 1]) || 90;

const peers = ['offer', 'answer'].map((role, i) => {
  const child = spawn('/bin/sh', ['-c', `${cmds[i]} --role ${role} ${extra.join(' ')}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  const peer = { role, child, report: null, exit: null };
  readline.createInterface({ input: child.stderr }).on('line', (l) => process.stderr.write(`[${role}] ${l}\n`));
  child.on('exit', (code, signal) => { peer.exit = code ?? signal; check(); });
  return peer;
});

peers.forEach((peer, i) => {
  const other = peers[1 - i];
  readline.createInterface({ input: peer.child.stdout }).on('line', (line) => {
    let msg;
    try { msg = JSON.parse(line); } catch { process.stderr.write(`[${peer.role}] NOT JSON on stdout: ${line}\n`); return; }
    if (msg.type === 'report') { peer.report = msg; check(); return; }
    process.stderr.write(`[${peer.role} -> ${other.role}] ${line.length > 160 ? line.slice(0, 160) + '…' : line}\n`);
    if (!other.child.stdin.destroyed) other.child.stdin.write(line + '\n');
  });
  peer.child.stdin.on('error', () => {});
});

let finished = false;
function check() {
  if (finished) return;
  const reported = peers.every((p) => p.report || p.exit !== null);
  if (!reported) return;
  peers.forEach((p) => p.child.stdin.end());
  if (peers.every((p) => p.exit !== null)) finish();
}
function finish() {
  finished = true;
  clearTimeout(timer);
  for (const p of peers) console.log(JSON.stringify({ role: p.role, exit: p.exit, report: p.report }));
  process.exit(peers.every((p) => p.report && p.report.ok && p.exit === 0) ? 0 : 1);
}
const timer = setTimeout(() => {
  process.stderr.write(`pair.js: no result after ${timeoutS + 15} s\n`);
  peers.forEach((p) => p.child.kill('SIGKILL'));
  finished = true;
  for (const p of peers) console.log(JSON.stringify({ role: p.role, exit: p.exit, report: p.report }));
  process.exit(1);
}, (timeoutS + 15) * 1000);
