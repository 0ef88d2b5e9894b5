#!/usr/bin/env bash
# Installs every foreign peer program of the interop matrix (see PROTOCOL.md) when it is missing:
# Debian's chromium, firefox-esr, golang-go + golang-github-pion-webrtc.v3-dev and python3-aiortc in one
# apt-get call, then the npm packages (js/install.sh: puppeteer-core, werift, node-datachannel), the pion
# peer's build (pion/build.sh) and a check of aiortc (aiortc/install.sh). Idempotent and quick when all is
# there. Needs root for apt-get. Exits non-zero, saying what is missing, when anything cannot be installed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v firefox-esr >/dev/null 2>&1 || need+=(firefox-esr)
installed golang-go || need+=(golang-go)
installed golang-github-pion-webrtc.v3-dev || need+=(golang-github-pion-webrtc.v3-dev)
/usr/bin/python3 -c 'import aiortc' >/dev/null 2>&1 || need+=(python3-aiortc)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "interop-peers/install.sh: installing ${need[*]} ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y --no-install-recommends "${need[@]}" >&2; then
    $sudo apt-get update >&2
    $sudo apt-get install -y --no-install-recommends "${need[@]}" >&2 \
      || { echo "interop-peers/install.sh: could not install ${need[*]}" >&2; exit 1; }
  fi
fi

status=0
"$here/js/install.sh" || { echo "interop-peers/install.sh: the JavaScript peers (js/install.sh) failed to install" >&2; status=1; }
"$here/pion/build.sh" || { echo "interop-peers/install.sh: the pion peer (pion/build.sh) failed to build" >&2; status=1; }
sh "$here/aiortc/install.sh" || { echo "interop-peers/install.sh: aiortc (aiortc/install.sh) is missing" >&2; status=1; }
exit $status
