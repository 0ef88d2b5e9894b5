#!/bin/sh
# Installs what the aiortc interop peer (peer.py) needs: Debian's python3-aiortc (1.4) for the system
# interpreter /usr/bin/python3. PyPI is not reachable from the test machines, so the Debian package is
# the aiortc there is. Idempotent: does nothing when /usr/bin/python3 can already import aiortc.
# Needs root (apt-get). Exits non-zero with a message on stderr when aiortc cannot be installed.
set -u

PYTHON=/usr/bin/python3

have_aiortc() {
  "$PYTHON" -c 'import aiortc' >/dev/null 2>&1
}

if have_aiortc; then
  echo "aiortc $("$PYTHON" -c 'import aiortc; print(aiortc.__version__)') already installed" >&2
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install.sh: aiortc is missing and apt-get is not available; install python3-aiortc by hand" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
install_pkg() {
  apt-get install -y --no-install-recommends python3-aiortc
}

# First try with the package lists as they are; on failure refresh them and try once more.
if ! install_pkg; then
  echo "install.sh: apt-get install failed; running apt-get update and retrying" >&2
  apt-get update || echo "install.sh: apt-get update failed" >&2
  install_pkg
fi

if ! have_aiortc; then
  echo "install.sh: could not install python3-aiortc: '$PYTHON -c \"import aiortc\"' still fails" >&2
  exit 1
fi
echo "aiortc $("$PYTHON" -c 'import aiortc; print(aiortc.__version__)') installed" >&2
