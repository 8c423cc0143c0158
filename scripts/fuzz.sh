#!/usr/bin/env bash
# A long libFuzzer run of every fuzz target, one after the other (the test suite runs short ones).
# usage: scripts/fuzz.sh BUILD_DIR SECONDS_PER_TARGET
# New corpus entries go to BUILD_DIR/fuzz-corpus/<target>; crashes are written to the current
# directory as crash-*: minimize them (-minimize_crash=1) and commit them to
# tests/fuzz/regressions/<corpus>/ with the fix.
set -euo pipefail
build=${1:-build}
seconds=${2:-600}
cd "$(dirname "$0")/.."
for pair in fuzz_manifest:manifest fuzz_http1:http1 fuzz_watch:watch; do
  target=${pair%%:*}
  corpus=${pair##*:}
  mkdir -p "$build/fuzz-corpus/$corpus"
  echo "== $target for $seconds s"
  "$build/fuzz-build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 "$build/fuzz-corpus/$corpus" "tests/fuzz/corpus/$corpus"
done
