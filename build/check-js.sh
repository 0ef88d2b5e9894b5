#!/usr/bin/env bash
# Checks the browser client (src/P2p.Signaling.Server/wwwroot: p2p.js and its modules under p2p/), see
# docs/browser-client.md "Checks": installs TypeScript into build/js/node_modules when missing (npm ci, from the
# pinned build/js/package-lock.json), type-checks every module (tsc --noEmit, tsconfig.json: checkJs, strict),
# type-checks the Node unit tests the same way (test/js/tsconfig.json, with @types/node),
# generates the declarations into wwwroot/types/ (what package.json's "types" points at; not committed), and runs
# the Node unit tests (node --test test/js/*.test.js: framing, identity and route frames against the .NET vectors).
# Prints one line, "check-js: ok (...)" or "check-js: FAILED at STEP (see LOG)"; exits non-zero on failure.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/build/js"
client="$root/src/P2p.Signaling.Server/wwwroot"
log="${CHECK_JS_LOG:-$root/artifacts/check-js.log}"
mkdir -p "$(dirname "$log")"
: >"$log"

fail() { echo "check-js: FAILED at $1 (see ${log#"$root"/})"; exit 1; }
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { echo "check-js: FAILED: node and npm are needed" | tee -a "$log"; exit 1; }

tsc="$tools/node_modules/.bin/tsc"
if [ ! -x "$tsc" ] || [ ! -d "$tools/node_modules/@types/node" ]; then
  (cd "$tools" && npm ci --no-audit --no-fund) >>"$log" 2>&1 || fail "npm ci (installing typescript and @types/node)"
fi

{ echo "== tsc --noEmit"; "$tsc" -p "$client" --noEmit; } >>"$log" 2>&1 || fail "tsc --noEmit (type errors)"
{ echo "== tsc --noEmit (the Node tests)"; "$tsc" -p "$root/test/js" --noEmit; } >>"$log" 2>&1 || fail "tsc --noEmit of test/js (type errors)"
rm -rf "$client/types"
{ echo "== tsc --declaration"; "$tsc" -p "$client" --noEmit false --declaration --emitDeclarationOnly --outDir "$client/types"; } >>"$log" 2>&1 \
  || fail "tsc --declaration"
rm -f "$client/types/demo.d.ts"   # the demo page is type-checked too, but is not part of the package
[ -f "$client/types/p2p.d.ts" ] || fail "tsc --declaration (no types/p2p.d.ts)"
{ echo "== node --test"; node --test "$root"/test/js/*.test.js; } >>"$log" 2>&1 || fail "node --test"
tests=$(grep -o '^# pass [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
echo "check-js: ok (tsc strict: no errors in the client and its Node tests; $(ls "$client"/types/p2p/*.d.ts | wc -l) module declarations; node --test: ${tests:-?} passed)"
