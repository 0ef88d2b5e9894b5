#!/usr/bin/env bash
# Seeds from real traffic (docs/fuzzing.md). For each foreign stack given (default: chromium firefox pion aiortc),
# two peers of that stack run the interop scenario with each other (test/interop-peers/pair.js, 1 MiB each way)
# inside a network namespace of their own (lo, and the lab address 198.51.100.10 that Firefox needs), while tcpdump
# records the UDP datagrams and fuzz/tee-peer.sh keeps each peer's signaling lines. fuzz/capture-seeds.py then
# writes <stack>-* seeds: the descriptions (sdp), the trickled candidates (candidate), the signaling lines as the
# relay data of JSON-RPC messages (signaling-client, signaling-server), the STUN messages (stun) and the DTLS
# flights (dtls). SCTP and DCEP travel encrypted, so their seeds come from our own association (gen-*).
# Needs root (ip netns), tcpdump, and the interop peers (test/interop-peers/install.sh; run here when missing).
#   fuzz/capture.sh [stack...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
stacks=("$@")
[ ${#stacks[@]} -gt 0 ] || stacks=(chromium firefox pion aiortc)
command -v tcpdump >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tcpdump >/dev/null
test/interop-peers/install.sh >/dev/null 2>&1 || { echo "fuzz/capture.sh: test/interop-peers/install.sh failed"; exit 1; }

work=$root/artifacts/fuzz/capture
rm -rf "$work"
mkdir -p "$work"
ns=p2p-fuzz-capture-$$
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
in_ns ip link add lan0 type veth peer name lan1
in_ns ip addr add 198.51.100.10/24 dev lan0
in_ns ip link set lan0 up
in_ns ip link set lan1 up
in_ns ip route add default via 198.51.100.1 dev lan0 onlink

for stack in "${stacks[@]}"; do
  case $stack in
    chromium|firefox) peer="node test/interop-peers/js/browser-peer.js --browser $stack" ;;
    pion) peer="test/interop-peers/pion/bin/pion-peer" ;;
    aiortc) peer="/usr/bin/python3 test/interop-peers/aiortc/peer.py" ;;
    werift) peer="node test/interop-peers/js/werift-peer.js" ;;
    libdatachannel) peer="node test/interop-peers/js/datachannel-peer.js" ;;
    *) echo "fuzz/capture.sh: unknown stack $stack"; exit 2 ;;
  esac
  in_ns sh -c 'echo $$ >"$1"; exec tcpdump -i any -U -c 2500 -w "$2" udp' sh "$work/$stack-tcpdump.pid" "$work/$stack.pcap" >"$work/$stack-tcpdump.log" 2>&1 &
  sleep 1
  dump=$(cat "$work/$stack-tcpdump.pid")
  in_ns node test/interop-peers/pair.js "fuzz/tee-peer.sh $work/$stack-offer.jsonl $peer" "fuzz/tee-peer.sh $work/$stack-answer.jsonl $peer" \
    --mib 1 --timeout 60 >"$work/$stack-pair.log" 2>&1 || echo "fuzz/capture.sh: the $stack session failed (see $work/$stack-pair.log); using what it captured"
  kill -INT "$dump" 2>/dev/null || true   # tcpdump, by its own pid
  wait 2>/dev/null || true
  python3 fuzz/capture-seeds.py "$stack" fuzz/corpus "$work/$stack.pcap" "$work/$stack-offer.jsonl" "$work/$stack-answer.jsonl"
done
