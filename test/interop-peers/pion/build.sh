#!/bin/sh
# Builds bin/pion-peer (the pion side of ../PROTOCOL.md) offline, in GOPATH mode, against Debian's
# golang-github-pion-webrtc.v3-dev sources (the Go module proxy is not reachable from test machines).
# Idempotent: installs the Debian packages only when missing, rebuilds only when a source is newer
# than the binary. Exits non-zero with a message on stderr on failure.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bin="$here/bin/pion-peer"
packages="golang-go golang-github-pion-webrtc.v3-dev"

die() { echo "pion/build.sh: $*" >&2; exit 1; }

# 1. Packages.
missing=""
for p in $packages; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "pion/build.sh: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  if ! apt-get install -y --no-install-recommends $missing >&2; then
    echo "pion/build.sh: apt-get install failed; retrying after apt-get update" >&2
    apt-get update >&2 || die "apt-get update failed"
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $missing >&2 || die "apt-get install$missing failed"
  fi
fi
command -v go >/dev/null 2>&1 || die "go not found on PATH after installing golang-go"
version=$(dpkg-query -W -f='${Version}' golang-github-pion-webrtc.v3-dev) || die "cannot read the golang-github-pion-webrtc.v3-dev version"

# 2. Up to date? (the binary must be newer than every source file and this script)
if [ -x "$bin" ]; then
  stale=$(find "$here" -maxdepth 1 \( -name '*.go' -o -name build.sh \) -newer "$bin" | head -n 1)
  if [ -z "$stale" ]; then
    echo "pion/build.sh: $bin is up to date (pion/webrtc $version)" >&2
    exit 0
  fi
fi

# 3. Build in a throw-away GOPATH: $gopath/src/pion-peer holds a copy of the sources; Debian's
# /usr/share/gocode provides pion and its dependencies. Debian installs pion/webrtc v3 without a /v3
# directory; GOPATH mode still resolves the import github.com/pion/webrtc/v3 to
# /usr/share/gocode/src/github.com/pion/webrtc ("minimal module compatibility"), but only for
# importing code in a directory with a go.mod file: hence the stub go.mod (never used in module mode).
gopath=$(mktemp -d "${TMPDIR:-/tmp}/pion-peer-gopath.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$gopath"' EXIT INT TERM
mkdir -p "$gopath/src/pion-peer" "$here/bin"
cp "$here"/*.go "$gopath/src/pion-peer/"
printf 'module pion-peer\n\ngo 1.19\n' > "$gopath/src/pion-peer/go.mod"
echo "pion/build.sh: building $bin (pion/webrtc $version)" >&2
if ! (cd "$gopath/src/pion-peer" &&
      GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOPROXY=off GOFLAGS= \
      go build -o "$bin.tmp" -ldflags "-X main.version=$version" .); then
  rm -f "$bin.tmp"
  die "go build failed"
fi
mv -f "$bin.tmp" "$bin"
echo "pion/build.sh: built $bin" >&2
