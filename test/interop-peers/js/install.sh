#!/usr/bin/env bash
# Installs what the JS interop peers need (browser-peer.js, werift-peer.js, datachannel-peer.js):
# Debian's chromium and firefox-esr when missing, and js/node_modules (npm ci) when missing or stale.
# Idempotent; exits non-zero with a message on stderr when something cannot be installed.
#   bash test/interop-peers/js/install.sh
set -euo pipefail
cd "$(dirname "$0")"

die() { echo "install.sh: $*" >&2; exit 1; }

# Node.js >= 20 (the machine's own; werift and puppeteer-core declare >= 22 but run on 20).
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed (Node.js >= 20)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js >= 20 is needed, found $(node --version)"

# Debian packages, installed only when a binary is missing.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "need root to install ${missing[*]}"
  echo "install.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
    apt-get update >&2 || die "apt-get update failed"
    apt-get install -y --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
  fi
fi
/usr/bin/chromium --version >/dev/null 2>&1 || die "/usr/bin/chromium does not run"
/usr/bin/firefox-esr --version >/dev/null 2>&1 || die "/usr/bin/firefox-esr does not run"

# npm packages: `npm ci` unless node_modules was installed from this very package-lock.json and
# the native binding of node-datachannel loads. Never lets a package download a browser.
stamp=node_modules/.interop-install-stamp
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! node -e "require('node-datachannel')" >/dev/null 2>&1; then
  echo "install.sh: npm ci in $(pwd)" >&2
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund >&2 || die "npm ci failed"
  node -e "require('node-datachannel'); require('werift')" || die "the installed npm packages do not load"
  echo "$want" > "$stamp"
fi
echo "install.sh: ready (node $(node --version), $(/usr/bin/chromium --version 2>/dev/null), $(/usr/bin/firefox-esr --version 2>/dev/null))" >&2
