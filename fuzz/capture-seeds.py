#!/usr/bin/env python3
"""Turns one recorded session of a foreign stack with itself (fuzz/capture.sh) into fuzz/corpus/<target>/<stack>-*:
the offer and answer (sdp), the trickled candidates (candidate), the signaling lines as relay data of JSON-RPC
messages (signaling-client, signaling-server), the STUN messages (stun) and the first DTLS datagrams of each
direction (dtls, as the target's input: a role byte and length-prefixed datagrams).

usage: capture-seeds.py <stack> <corpus-dir> <pcap> <offerer-lines.jsonl> <answerer-lines.jsonl>"""
import hashlib, json, os, struct, sys


def packets(path):
    if not os.path.exists(path):
        return
    with open(path, 'rb') as f:
        header = f.read(24)
        if len(header) < 24:
            return
        magic = struct.unpack('<I', header[:4])[0]
        endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
        linktype = struct.unpack(endian + 'I', header[20:24])[0]
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            incl = struct.unpack(endian + 'IIII', rec)[2]
            frame = f.read(incl)
            off = {1: 14, 113: 16, 276: 20}.get(linktype, 0)
            ip = frame[off:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            udp = ip[(ip[0] & 15) * 4:]
            sport, dport = struct.unpack('>HH', udp[:4])
            yield sport, dport, bytes(udp[8:])


def stun_attrs(m):
    pos, types = 20, []
    while pos + 4 <= len(m):
        t, l = struct.unpack('>HH', m[pos:pos + 4])
        types.append(t)
        pos += 4 + ((l + 3) & ~3)
    return tuple(types)


def lines(path):
    if not os.path.exists(path):
        return []
    out = []
    for line in open(path, encoding='utf-8'):
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if isinstance(msg, dict) and msg.get('type') in ('offer', 'answer', 'candidate'):
            out.append(msg)
    return out


class Corpus:
    def __init__(self, root, stack):
        self.root, self.stack, self.count = root, stack, 0

    def write(self, target, name, data):
        folder = os.path.join(self.root, target)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, '%s-%s' % (self.stack, name)), 'wb') as f:
            f.write(data if isinstance(data, bytes) else data.encode('utf-8'))
        self.count += 1


def main():
    stack, root, pcap, offerer, answerer = sys.argv[1:6]
    corpus = Corpus(root, stack)
    offer_lines, answer_lines = lines(offerer), lines(answerer)
    compact = lambda m: json.dumps(m, separators=(',', ':'))

    candidates = []
    for side, msgs in (('offerer', offer_lines), ('answerer', answer_lines)):
        for m in msgs:
            if m['type'] in ('offer', 'answer'):
                corpus.write('sdp', m['type'], m['sdp'])
            elif m.get('candidate') and m['candidate'] not in candidates and len(candidates) < 6:
                candidates.append(m['candidate'])
                corpus.write('candidate', 'candidate-%d' % len(candidates), m['candidate'])
    # Candidates inside the descriptions (aiortc puts them all there).
    for m in offer_lines + answer_lines:
        for line in m.get('sdp', '').splitlines():
            if line.startswith('a=candidate:') and line[2:] not in candidates and len(candidates) < 6:
                candidates.append(line[2:])
                corpus.write('candidate', 'candidate-%d' % len(candidates), line[2:])

    # The signaling lines as the relays the signaling server forwards (client side) and receives (server side).
    offer = next((m for m in offer_lines if m['type'] == 'offer'), None)
    answer = next((m for m in answer_lines if m['type'] == 'answer'), None)
    trickled = [m for m in offer_lines + answer_lines if m['type'] == 'candidate'][:3]
    user = '0123456789abcdef0123456789abcdef'
    if offer:
        corpus.write('signaling-client', 'relay-offer', compact({'jsonrpc': '2.0', 'id': 7, 'method': 'relay', 'params': ['g1', user, offer]}))
    if answer:
        corpus.write('signaling-client', 'relay-result-answer', compact({'jsonrpc': '2.0', 'id': 7, 'result': answer}))
    for i, c in enumerate(trickled):
        corpus.write('signaling-client', 'relay-candidate-%d' % i, compact({'jsonrpc': '2.0', 'method': 'relay', 'params': ['g1', user, c]}))
    conversation = []
    if offer:
        conversation.append(compact({'jsonrpc': '2.0', 'id': 5, 'method': 'relay', 'params': ['$G', '$B', offer]}))
    if answer:
        conversation.append('B:' + compact({'jsonrpc': '2.0', 'id': 1, 'result': answer}))
    for c in trickled:
        conversation.append(compact({'jsonrpc': '2.0', 'method': 'relay', 'params': ['$G', '$B', c]}))
    if conversation:
        corpus.write('signaling-server', 'conversation', '\n'.join(conversation))

    # STUN: one seed per distinct (sender port, message type, attribute list).
    udp = list(packets(pcap))
    seen = set()
    for s, d, p in udp:
        if len(p) >= 20 and p[0] < 4 and p[4:8] == b'\x21\x12\xa4\x42':
            key = (s, p[:2], stun_attrs(p))
            if key not in seen and len(seen) < 16:
                seen.add(key)
                corpus.write('stun', 'stun-%s' % hashlib.sha1(p).hexdigest()[:8], p)

    # DTLS: per direction, its first 12 datagrams (handshake flights, then application data).
    flows = {}
    for s, d, p in udp:
        if len(p) >= 13 and 20 <= p[0] <= 63:
            flows.setdefault((s, d), []).append(p)
    for (s, d), datagrams in sorted(flows.items()):
        first = datagrams[:12]
        client = any(len(x) > 25 and x[0] == 22 and x[13] == 1 for x in first)  # this direction carries a ClientHello
        seed = bytes([1 if client else 0]) + b''.join(struct.pack('>H', len(x)) + x for x in first)
        corpus.write('dtls', 'dtls-%s' % ('client' if client else 'server'), seed)
    print('capture-seeds.py: %s: %d seeds (%d signaling lines, %d UDP datagrams)' % (stack, corpus.count, len(offer_lines) + len(answer_lines), len(udp)))


main()
