#!/usr/bin/env bash
# Seeds from real traffic (docs/fuzzing.md): our RtcPeerConnection against headless Chromium (the interop test
# PeerConnectionChromiumTests, "we offer"), inside a network namespace whose only interface is lo, with tcpdump
# recording the UDP datagrams; fuzz/capture-seeds.py turns the STUN messages and DTLS flights of the recording into
# fuzz/corpus/{stun,dtls}/chromium-* seeds (named by sender: chromium-peer-* sent by Chromium, chromium-p2p-* by us).
# SCTP and DCEP travel encrypted, so their seeds come from our own association (gen-*), not from this recording.
# Needs root (ip netns), chromium and tcpdump (installed when missing), and a Release build of P2p.sln.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi
work=$root/artifacts/fuzz/capture
rm -rf "$work"
mkdir -p "$work"
ns=p2p-fuzz-capture-$$
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" tcpdump -i lo -U -c 3000 -w "$work/chromium.pcap" udp >"$work/tcpdump.log" 2>&1 &
dump=$!
sleep 1
ip netns exec "$ns" dotnet test test/P2p.Interop.Tests -c Release --no-build \
  --filter "FullyQualifiedName~PeerConnectionChromiumTests.We_offer_channels_from_both_sides_open_and_data_round_trips" >"$work/test.log" 2>&1 \
  || { echo "fuzz/capture.sh: the Chromium session failed (see $work/test.log)"; exit 1; }
kill -INT "$dump" 2>/dev/null || true
wait "$dump" 2>/dev/null || true
python3 fuzz/capture-seeds.py "$work/chromium.pcap" fuzz/corpus chromium
