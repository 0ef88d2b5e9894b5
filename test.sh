#!/usr/bin/env bash
# Runs every test in the repository: installs what the tests need when it is missing (Chromium,
# coturn, openssl, iptables and redis-server from Debian's packages; the foreign WebRTC peers of the interop matrix through
# test/interop-peers/install.sh: Firefox ESR, pion, werift, aiortc, libdatachannel), builds the solution, checks the
# packages (build/pack-and-consume.sh, one test),
# runs all test projects and prints one summary line "N passed, M failed". Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"
export NUGET_CERT_REVOCATION_MODE=offline
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

# --- prerequisites: Debian packages the tests drive (a real browser, a real STUN/TURN server) ---
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v turnserver >/dev/null 2>&1 || need+=(coturn)
command -v openssl >/dev/null 2>&1 || need+=(openssl)   # DTLS interop tests (openssl s_client/s_server)
command -v iptables >/dev/null 2>&1 || need+=(iptables) # the NAT lab's routers (test/P2p.NatLab.Tests)
command -v ip >/dev/null 2>&1 || need+=(iproute2)       # network namespaces (the suite's own, and the NAT lab)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server) # the multi-instance signaling tests' Redis
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "test.sh: installing ${need[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y --no-install-recommends "${need[@]}" >"$results/apt.log" 2>&1; then
    $sudo apt-get update >>"$results/apt.log" 2>&1
    $sudo apt-get install -y --no-install-recommends "${need[@]}" >>"$results/apt.log" 2>&1 \
      || { echo "test.sh: could not install ${need[*]} (see $results/apt.log)"; }
  fi
fi

# --- the interop matrix's foreign peers (a failure here fails their tests: they never skip) ---
if ! test/interop-peers/install.sh >"$results/interop-peers-install.log" 2>&1; then
  echo "test.sh: the interop peers did not all install (see $results/interop-peers-install.log); their tests will fail"
  tail -5 "$results/interop-peers-install.log"
fi

# --- build once ---
if ! dotnet build P2p.sln -c Release -nologo -clp:NoSummary -v:q; then
  echo "test.sh: build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# --- packages: pack src/, build and run a consumer of the packages, install the tool (docs/packages.md);
#     counted as one test in the summary below ---
pack_passed=0; pack_failed=0
if build/pack-and-consume.sh; then pack_passed=1; else pack_failed=1; fi

# --- the browser client's JS checks (build/check-js.sh: tsc --noEmit, declarations, node --test), counted as ONE test ---
js_passed=0; js_failed=0
if CHECK_JS_LOG="$results/check-js.log" build/check-js.sh; then js_passed=1; else js_failed=1; fi

# --- run every test project inside a network namespace of its own when we can create one ---
# Its interfaces: lo (127.0.0.1, ::1) and lan0, one end of a veth pair whose other end (lan1) stays inside
# too, with the lab address 198.51.100.10/24 and a default route into it: Firefox gathers no loopback
# candidate and needs such an interface. No packet can leave the namespace, so no test can reach or leak to
# another address. Without root or iproute2 the tests run directly.
netns=()
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null 2>&1; then
  ns="p2p-test-$$"
  if ip netns add "$ns" 2>/dev/null; then
    trap 'ip netns del "$ns" 2>/dev/null' EXIT
    in_ns() { ip netns exec "$ns" "$@"; }
    if in_ns ip link set lo up && in_ns ip link add lan0 type veth peer name lan1 \
       && in_ns ip addr add 198.51.100.10/24 dev lan0 && in_ns ip link set lan0 up && in_ns ip link set lan1 up \
       && in_ns ip route add default via 198.51.100.1 dev lan0 onlink; then
      netns=(ip netns exec "$ns")
      echo "test.sh: running tests in the network namespace $ns (lo and the lab interface lan0 only)"
    else
      echo "test.sh: could not set up the network namespace $ns; running the tests without it"
    fi
  fi
fi
status=0
# One test project at a time (-m:1), two NUnit workers inside each: projects running side by side on a 2-core machine
# starved each other's timing-sensitive checks (the interop matrix's unreliable-channel cells, consent deadlines).
"${netns[@]}" dotnet test P2p.sln -c Release --no-build -m:1 --logger "trx" --results-directory "$results" -- NUnit.NumberOfTestWorkers=2 \
  || status=$?

# --- summary from the TRX counters ---
# No test may skip (a missing tool must fail its test) or end inconclusive: both count as failed, and are listed.
passed=$pack_passed; failed=$pack_failed; skipped=0; inconclusive=0   # starting from the packages step above
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  line=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$line" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted) + $(get notRunnable)))
  inconclusive=$((inconclusive + $(get inconclusive)))
  grep -o '<UnitTestResult [^>]*outcome="\(NotExecuted\|Inconclusive\|NotRunnable\)"[^>]*>' "$trx" \
    | grep -o 'testName="[^"]*"' | sed 's/^testName=/test.sh: skipped or inconclusive: /'
done
if [ $((skipped + inconclusive)) -gt 0 ]; then
  echo "test.sh: $skipped skipped and $inconclusive inconclusive tests count as failed (nothing may skip)"
  failed=$((failed + skipped + inconclusive))
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "test.sh: the test run failed without a failed test result (a crashed test host?)"
  failed=1
fi
passed=$((passed + js_passed)); failed=$((failed + js_failed))   # the JS checks' one test (above)
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
