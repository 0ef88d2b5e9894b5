#!/usr/bin/env node
// Interop peer on libdatachannel (npm `node-datachannel`, its W3C polyfill): runs scenario.js
// (../PROTOCOL.md).   node datachannel-peer.js --role offer|answer [--mib N] [--timeout S]
// The polyfill passes extra config keys through to libdatachannel: bindAddress keeps it on 127.0.0.1.
// node-datachannel 0.33 cannot tell the options of a channel it accepted (its polyfill builds the
// RTCDataChannel without them: ordered true, maxRetransmits null whatever the peer asked, and the native
// DataChannel has no getter), so its report lists accepted labels only (acceptedOptionsKnown: false).
'use strict';
const cli = require('./cli');
const opts = cli.parseArgs(process.argv.slice(2));

const { RTCPeerConnection } = require('node-datachannel/polyfill');
const ndc = require('node-datachannel');
const { run } = require('./scenario');
// LDC_LOG=Verbose|Debug|Info|Warning|Error: libdatachannel's own log, to stderr.
ndc.initLogger(process.env.LDC_LOG || 'Warning', (level, message) => cli.log(`libdatachannel ${level}: ${message}`));
const version = cli.packageVersion('node-datachannel');

let sc = null;
cli.runPeer(opts, { stack: 'libdatachannel' }, {
  start: () => {
    sc = run({
      ...cli.nodeEnv(), role: opts.role, mib: opts.mib, stack: 'libdatachannel', version, allowLocalLab: false, holdCandidatesUntilAnswer: true,
      acceptedOptionsKnown: false,
      RTCPeerConnection, pcConfig: { iceServers: [], bindAddress: '127.0.0.1', enableIceTcp: false },
    });
    cli.onLine((msg) => sc.deliver(msg));
    return sc.result;
  },
  stage: () => (sc ? sc.stage() : 'starting'),
  cleanup: () => {
    if (sc) sc.close();
    ndc.cleanup(); // stops libdatachannel's threads so the process can exit
  },
});
