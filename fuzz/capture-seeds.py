#!/usr/bin/env python3
"""Turns a pcap of a P2p <-> foreign-peer session (fuzz/capture.sh) into seeds: STUN messages for the stun target and
DTLS datagrams (record framing, epochs, the real handshake flights) for the dtls target.

usage: capture-seeds.py <pcap> <corpus-dir> <peer-name>
The foreign peer's ports are the sources of STUN requests carrying GOOG-NETWORK-INFO (Chromium) or, failing that,
of the first DTLS ClientHello's answer... every seed is named <peer>-<from>-<kind>-<n>, <from> being 'peer' (sent
by the foreign stack) or 'p2p' (sent by ours in the same session)."""
import hashlib, os, struct, sys

def packets(path):
    with open(path, 'rb') as f:
        header = f.read(24)
        magic = struct.unpack('<I', header[:4])[0]
        endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
        linktype = struct.unpack(endian + 'I', header[20:24])[0]
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            _, _, incl, _ = struct.unpack(endian + 'IIII', rec)
            frame = f.read(incl)
            off = 14 if linktype == 1 else 16 if linktype == 113 else 0
            if len(frame) < off + 28:
                continue
            ip = frame[off:]
            if ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 15) * 4
            udp = ip[ihl:]
            sport, dport = struct.unpack('>HH', udp[:4])
            yield sport, dport, bytes(udp[8:])

def stun_attrs(m):
    pos, types = 20, []
    while pos + 4 <= len(m):
        t, l = struct.unpack('>HH', m[pos:pos + 4])
        types.append(t)
        pos += 4 + ((l + 3) & ~3)
    return types

def frame(datagrams):
    return b''.join(struct.pack('>H', len(d)) + d for d in datagrams)

def main():
    pcap, corpus, peer = sys.argv[1:4]
    all_packets = list(packets(pcap))
    stun = [(s, d, p) for s, d, p in all_packets if len(p) >= 20 and p[0] < 4 and p[4:8] == b'\x21\x12\xa4\x42']
    dtls = [(s, d, p) for s, d, p in all_packets if len(p) >= 13 and 20 <= p[0] <= 63]
    peer_ports = {s for s, d, p in stun if 0xC057 in stun_attrs(p)}
    side = lambda port: 'peer' if port in peer_ports else 'p2p'
    written = 0

    # STUN: one seed per distinct (sender, message type, attribute list).
    os.makedirs(os.path.join(corpus, 'stun'), exist_ok=True)
    seen = set()
    for s, d, p in stun:
        key = (side(s), p[:2], tuple(stun_attrs(p)))
        if key in seen:
            continue
        seen.add(key)
        name = '%s-%s-stun-%s' % (peer, side(s), hashlib.sha1(p).hexdigest()[:8])
        open(os.path.join(corpus, 'stun', name), 'wb').write(p)
        written += 1

    # DTLS: per connection (port pair) and sender, the first 12 datagrams (the handshake flights, then application
    # data), as the dtls target's input: a role byte (1 = we are the server, so the peer is the client) and the datagrams.
    os.makedirs(os.path.join(corpus, 'dtls'), exist_ok=True)
    flows = {}
    for s, d, p in dtls:
        flows.setdefault((s, d), []).append(p)
    for (s, d), datagrams in sorted(flows.items()):
        first = datagrams[:12]
        client = any(len(x) > 25 and x[0] == 22 and x[13] == 1 for x in first)  # this sender sent a ClientHello
        seed = bytes([1 if client else 0]) + frame(first)
        name = '%s-%s-dtls-%d-%d' % (peer, side(s), s, d)
        open(os.path.join(corpus, 'dtls', name), 'wb').write(seed)
        written += 1
    print('%d seeds from %d STUN and %d DTLS datagrams (%s ports: %s)' % (written, len(stun), len(dtls), peer, sorted(peer_ports)))

main()
