#!/usr/bin/env bash
# bench/proxy/cpu_ab.sh — CPU per request of two gatehouse binaries, alternated on the same
# machine: the quickest way to tell whether a change to the request path costs anything when the
# VM is too noisy for run.sh's req/s. Each round runs the talk's foobar table (examples/foobar.yaml)
# with one worker and one `gatehouse echo` backend on core 0, wrk -c CONNECTIONS on core 1 for
# DURATION seconds, and reads the serve process's user+system time from /proc.
#
# usage (from the repo root): bench/proxy/cpu_ab.sh OLD_BINARY NEW_BINARY
# env: ROUNDS=3 DURATION=5 CONNECTIONS=64 CLOSE=0 (1: a new connection per request)
set -euo pipefail
old=$1
new=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${ROUNDS:-3}
duration=${DURATION:-5}
connections=${CONNECTIONS:-64}
close_header=()
[ "${CLOSE:-0}" = 1 ] && close_header=(-H 'Connection: close')
port=19120
hz=$(getconf CLK_TCK)
measure() {
  local bin=$1 e g t0 t1 n
  taskset -c 0 "$bin" echo -l 127.0.0.1:18080 >/dev/null 2>&1 &
  e=$!
  taskset -c 0 "$bin" serve -m "$root/examples/foobar.yaml" -l 127.0.0.1:$port --workers 1 \
    >/dev/null 2>&1 &
  g=$!
  sleep 1
  taskset -c 1 wrk -t1 -c"$connections" -d1s "${close_header[@]}" -H 'Host: foo.org' \
    http://127.0.0.1:$port/a >/dev/null
  t0=$(awk '{print $14 + $15}' /proc/$g/stat)
  n=$(taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" "${close_header[@]}" \
    -H 'Host: foo.org' http://127.0.0.1:$port/a | awk '/requests in/ {print $1}')
  t1=$(awk '{print $14 + $15}' /proc/$g/stat)
  kill $g $e
  wait $g $e 2>/dev/null || true
  awk -v t0="$t0" -v t1="$t1" -v n="$n" -v hz="$hz" \
    'BEGIN {printf "%8d req  %6.2f us CPU/req\n", n, (t1 - t0) * 1e6 / hz / n}'
}
for round in $(seq "$rounds"); do
  printf 'round %d old ' "$round"
  measure "$old"
  printf 'round %d new ' "$round"
  measure "$new"
done
