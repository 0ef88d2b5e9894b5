#!/usr/bin/env bash
# Packs every package under src/ (Release, with package validation) into the local feed artifacts/packages, then
# consumes them as a user would: builds and runs build/consumer (PackageReferences only; its Program.cs begins with
# the README's Quickstart, verbatim; it also starts an EmbeddedSignalingServer from the P2p.Signaling.Server package),
# installs the p2p-signaling tool from the feed into a temporary tool path: `--help`, then it serves the consumer.
# Prints one line, "pack-and-consume: passed ..." or "pack-and-consume: FAILED ...", and exits non-zero on failure.
# Logs: artifacts/pack-and-consume/. Used by test.sh (one "test" of its summary); docs/packages.md.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export NUGET_CERT_REVOCATION_MODE=${NUGET_CERT_REVOCATION_MODE:-offline}

feed=artifacts/packages
logs=artifacts/pack-and-consume
private=artifacts/consumer-packages   # the consumer's own packages folder (build/consumer/nuget.config)
tools=$logs/tool
rm -rf "$feed" "$logs"
mkdir -p "$feed" "$logs" "$private"
fail() { echo "pack-and-consume: FAILED: $1 (logs: $logs)"; exit 1; }

# 1. Program.cs must begin with the README's Quickstart block, verbatim.
awk '/^## Quickstart/{q=1;next} q&&/^```csharp/{c=1;next} c&&/^```/{exit} c' README.md >"$logs/quickstart.cs"
[ -s "$logs/quickstart.cs" ] || fail "no \`\`\`csharp block under README.md's ## Quickstart"
head -n "$(wc -l <"$logs/quickstart.cs")" build/consumer/Program.cs | diff -u "$logs/quickstart.cs" - >"$logs/quickstart.diff" \
  || fail "build/consumer/Program.cs does not begin with README.md's Quickstart (see $logs/quickstart.diff)"

# 2. Pack (package validation runs as part of pack: EnablePackageValidation in Directory.Build.props).
version=$(dotnet msbuild src/P2p.Core/P2p.Core.csproj -nologo -getProperty:PackageVersion -p:Configuration=Release 2>/dev/null)
[ -n "$version" ] || fail "could not read the packages' version"
dotnet pack build/packages.slnf -c Release -o "$feed" -nologo -clp:NoSummary >"$logs/pack.log" 2>&1 || fail "dotnet pack failed (pack.log)"
expected=(P2p.Signaling.Abstractions P2p.Signaling.WebSockets P2p.Signaling.Server P2p.Signaling.Server.Tool P2p.Core P2p.WebRtc P2p.Transport.WebRtc P2p.Hosting)
for id in "${expected[@]}"; do
  nupkg="$feed/$id.$version.nupkg"
  [ -f "$nupkg" ] || fail "$id.$version.nupkg was not produced"
  [ -f "$feed/$id.$version.snupkg" ] || fail "$id.$version.snupkg (symbols) was not produced"
  nuspec=$(unzip -p "$nupkg" "$id.nuspec")
  unzip -l "$nupkg" README.md >/dev/null 2>&1 || fail "$id has no README.md"
  for want in '<license type="expression">MIT</license>' '<readme>README.md</readme>' '<authors>P2p contributors</authors>' '<repository type="git" url="https://github.com/p2p-dotnet/p2p"' '<description>' '<tags>'; do
    grep -qF "$want" <<<"$nuspec" || fail "$id's nuspec lacks $want"
  done
done

# 3. The tool: installed from the local feed into a temporary tool path (and the private packages folder); --help.
rm -rf "$private"/p2p.* build/consumer/bin build/consumer/obj
if [ -z "${DOTNET_ROOT:-}" ]; then export DOTNET_ROOT; DOTNET_ROOT=$(dirname "$(readlink -f "$(command -v dotnet)")"); fi
NUGET_PACKAGES="$PWD/$private" dotnet tool install P2p.Signaling.Server.Tool --version "$version" --tool-path "$tools" \
  --configfile build/consumer/nuget.config >"$logs/tool-install.log" 2>&1 || fail "dotnet tool install failed (tool-install.log)"
timeout -k 5 60 "$tools/p2p-signaling" --help >"$logs/tool-help.log" 2>&1 || fail "p2p-signaling --help failed (tool-help.log)"
grep -q -- "--urls" "$logs/tool-help.log" || fail "p2p-signaling --help printed no usage (tool-help.log)"

# 4. The tool serves the quickstart's ws://127.0.0.1:3001/ while the consumer runs; then it must stop on SIGTERM.
"$tools/p2p-signaling" --urls http://127.0.0.1:3001 >"$logs/tool-run.log" 2>&1 &
tool_pid=$!
stop_tool() {
  kill -TERM "$tool_pid" 2>/dev/null
  for _ in $(seq 1 20); do kill -0 "$tool_pid" 2>/dev/null || { wait "$tool_pid" 2>/dev/null; return 0; }; sleep 0.5; done
  kill -KILL "$tool_pid" 2>/dev/null; return 1
}
healthy=""
for _ in $(seq 1 60); do
  if curl -fsS http://127.0.0.1:3001/healthz >/dev/null 2>&1; then healthy=1; break; fi
  kill -0 "$tool_pid" 2>/dev/null || break
  sleep 0.5
done
[ -n "$healthy" ] || { stop_tool; fail "p2p-signaling did not serve http://127.0.0.1:3001/healthz (is the port taken? tool-run.log)"; }

# 5. The consumer: restored from the local feed into its private packages folder (no P2p package from any cache).
grep -q "ProjectReference" build/consumer/P2p.Consumer.csproj && { stop_tool; fail "the consumer must not reference projects"; }
dotnet build build/consumer/P2p.Consumer.csproj -c Release -nologo -clp:NoSummary -p:P2pVersion="$version" >"$logs/consumer-build.log" 2>&1 \
  || { stop_tool; fail "the consumer did not build against the packages (consumer-build.log)"; }
timeout -k 10 120 dotnet build/consumer/bin/Release/net10.0/P2p.Consumer.dll >"$logs/consumer-run.log" 2>&1
rc=$?
stop_tool || fail "p2p-signaling did not stop on SIGTERM (tool-run.log)"
[ "$rc" -eq 0 ] || fail "the consumer's quickstart did not run (exit $rc; consumer-run.log: $(tail -n 1 "$logs/consumer-run.log"))"

echo "pack-and-consume: passed (${#expected[@]} packages $version in $feed; the consumer ran the README's quickstart; p2p-signaling installed from the feed served it)"
