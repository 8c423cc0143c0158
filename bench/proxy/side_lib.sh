# Shared by the small side-by-side benchmarks (handshake_floor.sh, pod_tls.sh). Source it from
# the repo root with set -euo pipefail; set NEEDS (tools) and NAME (scratch directory prefix)
# first. Gives: $work (a scratch directory, removed at exit), pids (processes stopped at exit,
# by PID), port (a free loopback port below the ephemeral range), wait_port PORT, ticks PID (its
# utime + stime in clock ticks), $hz (ticks per second), and the common knobs below.
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
REPEAT=${REPEAT:-3}
PROXY_CPU=${PROXY_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
GATEHOUSE=${GATEHOUSE:-build/src/app/gatehouse}
[ -x "$GATEHOUSE" ] || { echo "no $GATEHOUSE: build first (make build)" >&2; exit 1; }
for tool in $NEEDS taskset; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
work=$(mktemp -d "/tmp/gatehouse-$NAME.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
port() {
  local p
  for _ in $(seq 50); do
    p=$((10000 + RANDOM % 20000))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
  done
  return 1
}
wait_port() {
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return; sleep 0.05; done
  echo "nothing listens on $1" >&2
  exit 1
}
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
