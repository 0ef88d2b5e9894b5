#!/bin/sh
# fuzz/capture.sh's wrapper around an interop peer program: runs it with the given arguments and keeps a copy of
# its stdout (the signaling lines of test/interop-peers/PROTOCOL.md) in the file named first.
# usage: tee-peer.sh <copy-file> <peer program and its arguments...>
out=$1
shift
"$@" | tee -a "$out"
