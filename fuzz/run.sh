#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers (docs/fuzzing.md): afl-fuzz (Debian afl++) drives
# fuzz/P2p.Fuzzing.Runner, whose P2p assemblies SharpFuzz instruments.
#
#   fuzz/run.sh <target|all> [seconds-per-target]     (default 600 s; targets: fuzz/run.sh list)
#
# Runs ONE afl-fuzz at a time (the targets of "all" one after another). Afterwards, per target:
#   - crashes and hangs are copied to fuzz/findings/<target>/ (kept forever: the test suite replays them),
#   - the inputs afl kept for new coverage are copied to fuzz/corpus/<target>/ as afl-<hash> (small ones, capped),
#   - a line of afl's fuzzer_stats goes to fuzz/campaigns.tsv (the table in docs/fuzzing.md comes from it).
# Work files: artifacts/fuzz/ (the instrumented build, afl's output). Needs root or sudo only to install afl++.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export NUGET_CERT_REVOCATION_MODE=offline DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

targets=(stun ice-checks turn sdp candidate dtls sctp-chunks sctp-association dcep group-framing signaling-client signaling-server backplane mdns)
what=${1:-}
seconds=${2:-600}
if [ -z "$what" ] || [ "$what" = "list" ]; then
  echo "usage: fuzz/run.sh <target|all> [seconds-per-target]; targets: ${targets[*]}"
  [ "$what" = "list" ] && exit 0 || exit 2
fi
if [ "$what" = "all" ]; then
  selected=("${targets[@]}")
else
  printf '%s\n' "${targets[@]}" | grep -qx -- "$what" || { echo "fuzz/run.sh: no target '$what' (${targets[*]})"; exit 2; }
  selected=("$what")
fi

work=$root/artifacts/fuzz
tools=$work/tools
bin=$work/bin
mkdir -p "$work"

# --- afl++ (Debian) and the SharpFuzz instrumenter (a .NET tool) ---
if ! command -v afl-fuzz >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y afl++ >/dev/null || { $sudo apt-get update >/dev/null && $sudo apt-get install -y afl++ >/dev/null; }
fi
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

# --- a fresh Release build of the runner, its P2p assemblies instrumented (each build is instrumented once);
#     FUZZ_NO_BUILD=1 reuses the last one ---
if [ "${FUZZ_NO_BUILD:-}" != 1 ] || [ ! -f "$bin/P2p.Fuzzing.Runner.dll" ]; then
  rm -rf "$bin"
  dotnet build fuzz/P2p.Fuzzing.Runner/P2p.Fuzzing.Runner.csproj -c Release -o "$bin" -nologo -v:q -clp:NoSummary >/dev/null
  for dll in P2p.WebRtc P2p.Core P2p.Signaling.Abstractions P2p.Signaling.WebSockets P2p.Signaling.Server; do
    "$tools/sharpfuzz" "$bin/$dll.dll" >/dev/null
  done
fi

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
stats=$root/fuzz/campaigns.tsv
[ -f "$stats" ] || printf 'date\ttarget\tseconds\texecs_done\texecs_per_sec\tcorpus_count\tedges_found\tsaved_crashes\tsaved_hangs\n' >"$stats"

for target in "${selected[@]}"; do
  corpus=$root/fuzz/corpus/$target
  findings=$root/fuzz/findings/$target
  out=$work/out/$target
  in=$work/in/$target
  rm -rf "$out" "$in"
  mkdir -p "$in" "$findings" "$(dirname "$out")"
  find "$corpus" -maxdepth 1 -type f ! -name 'README*' -exec cp {} "$in/" \;
  dict=()
  [ -f "$root/fuzz/dict/$target.dict" ] && dict=(-x "$root/fuzz/dict/$target.dict")

  echo "fuzz/run.sh: $target for $seconds s ($(ls "$in" | wc -l) seeds)"
  afl-fuzz -V "$seconds" -t 2000 -m none -i "$in" -o "$out" "${dict[@]}" -- dotnet "$bin/P2p.Fuzzing.Runner.dll" "$target" \
    >"$work/afl-$target.log" 2>&1 || { echo "fuzz/run.sh: afl-fuzz failed for $target (see $work/afl-$target.log)"; tail -20 "$work/afl-$target.log"; exit 1; }

  # Findings: kept under a content name, so the same input found twice is one file.
  for kind in crashes hangs; do
    for f in "$out"/default/$kind/id:*; do
      [ -e "$f" ] || continue
      name=${kind%es}; name=${name%s}-$(sha1sum "$f" | cut -c1-12)
      [ -e "$findings/$name" ] || { cp "$f" "$findings/$name"; echo "fuzz/run.sh: NEW ${name%%-*}: fuzz/findings/$target/$name"; }
    done
  done

  # Corpus: inputs that reached new coverage (+cov), up to 8 KiB; the target's folder stays at most 300 files.
  for f in "$out"/default/queue/id:*+cov*; do
    [ -e "$f" ] || continue
    [ "$(stat -c %s "$f")" -le 8192 ] || continue
    [ "$(ls "$corpus" | wc -l)" -lt 300 ] || break
    name=afl-$(sha1sum "$f" | cut -c1-12)
    [ -e "$corpus/$name" ] || cp "$f" "$corpus/$name"
  done

  s=$out/default/fuzzer_stats
  get() { grep -E "^$1 +:" "$s" | sed 's/.*: *//'; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$target" "$(get run_time)" "$(get execs_done)" \
    "$(get execs_per_sec)" "$(get corpus_count)" "$(get edges_found)" "$(get saved_crashes)" "$(get saved_hangs)" >>"$stats"
  echo "fuzz/run.sh: $target: $(get execs_done) execs, $(get corpus_count) paths, $(get edges_found) edges, $(get saved_crashes) crashes, $(get saved_hangs) hangs"
done
