#!/usr/bin/env node
// Interop peer on werift (npm `werift`, pure TypeScript WebRTC): runs scenario.js (../PROTOCOL.md)
// with werift's RTCPeerConnection.   node werift-peer.js --role offer|answer [--mib N] [--timeout S]
// werift never offers 127.0.0.1 and skips veth*/tun*/tap* interfaces, so it is shown a machine whose
// only interface is 127.0.0.1 (non-internal). werift 0.25 falls back to a public STUN server even with
// iceServers: [] (ice Connection.applyStunTurnServersFromOptions); that fallback is removed here.
// werift's UDP sockets get a 4 MiB receive buffer (PEER_UDP_RCVBUF overrides it): werift's SCTP is a port
// of aiortc's and has its FORWARD-TSN bug (docs/interop.md): a datagram dropped on a full socket buffer
// while `partial` and the bulk share the association stalls `reliable` for good.
'use strict';
const cli = require('./cli');
const opts = cli.parseArgs(process.argv.slice(2));

const dgram = require('node:dgram');
const udpRcvbuf = Number(process.env.PEER_UDP_RCVBUF || 4 * 1024 * 1024);
const createSocket = dgram.createSocket;
dgram.createSocket = (type, listener) =>
  createSocket(typeof type === 'string' ? { type, recvBufferSize: udpRcvbuf } : { recvBufferSize: udpRcvbuf, ...type }, listener);

const os = require('node:os');
os.networkInterfaces = () => ({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: '127.0.0.1/8' }],
});
const { RTCPeerConnection, Connection } = require('werift');
const applyServers = Connection.prototype.applyStunTurnServersFromOptions;
if (typeof applyServers !== 'function') throw new Error('werift changed: Connection.applyStunTurnServersFromOptions is gone');
Connection.prototype.applyStunTurnServersFromOptions = function () {
  applyServers.call(this);
  if (!this.options.stunServer) this.stunServer = undefined; // no default public STUN server
};
const { run } = require('./scenario');
const version = cli.packageVersion('werift');

let sc = null;
cli.runPeer(opts, { stack: 'werift' }, {
  start: () => {
    sc = run({
      ...cli.nodeEnv(), role: opts.role, mib: opts.mib, stack: 'werift', version, allowLocalLab: false,
      RTCPeerConnection, pcConfig: { iceServers: [], iceUseIpv6: false, iceUseTcp: false },
    });
    cli.onLine((msg) => sc.deliver(msg));
    return sc.result;
  },
  stage: () => (sc ? sc.stage() : 'starting'),
  cleanup: () => sc && sc.close(),
});
