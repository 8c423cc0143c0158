#!/usr/bin/env bash
# bench/kube_sync — the initial sync from an API server: time from `gatehouse serve --kubeconfig`
# starting to /readyz answering 200 (every informer listed, the table compiled and published),
# and gatehouse's peak RSS, with INGRESSES Ingresses and ENDPOINTS endpoints in the fake API
# server (tests/kube/fake_apiserver.py). Goal (the control-plane issue): 10,000 Ingresses with
# 50,000 endpoints under 2 s and 500 MB. The fake is Python: its list pages are part of the time
# measured, so the figure is an upper bound on gatehouse's own; the compile time is printed apart.
#
#   bench/kube_sync/run.sh                 # INGRESSES=10000 ENDPOINTS=50000 REPEAT=3
#   GATEHOUSE=build/src/app/gatehouse INGRESSES=1000 ENDPOINTS=5000 bench/kube_sync/run.sh
set -uo pipefail
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
gatehouse=${GATEHOUSE:-$source_dir/build/src/app/gatehouse}
INGRESSES=${INGRESSES:-10000}
ENDPOINTS=${ENDPOINTS:-50000}
REPEAT=${REPEAT:-3}
source "$source_dir/tests/e2e/lib.sh"
source "$source_dir/tests/kube/lib.sh"
require_tools python3 openssl curl
workdir=$(mktemp -d /tmp/gatehouse-kube-sync.XXXXXX)

start_fake_apiserver
python3 "$source_dir/bench/kube_sync/gen.py" "$INGRESSES" "$ENDPOINTS" 8080 >"$workdir/objects.json"
curl -s --max-time 300 --cacert "$workdir/ca.pem" -X POST -H 'Content-Type: application/json' \
  --data-binary @"$workdir/objects.json" "$api/fake/objects" -o /dev/null ||
  { echo "loading the fake failed"; exit 1; }
echo "bench/kube_sync: $INGRESSES Ingresses, $INGRESSES Services, $ENDPOINTS endpoints" \
  "($(du -h "$workdir/objects.json" | cut -f1) of JSON) in the fake API server"
echo "| run | ready after (ms) | gatehouse CPU until ready (ms) | compile (ms) | peak RSS (MiB) | rules |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
clk_tck=$(getconf CLK_TCK)
for ((run = 1; run <= REPEAT; run++)); do
  proxy=$(free_port)
  admin=$(free_port)
  t0=$(date +%s%N)
  "$gatehouse" serve --kubeconfig "$workdir/kubeconfig" --listen 127.0.0.1:$proxy \
    --admin-listen 127.0.0.1:$admin --workers 2 2>"$workdir/serve.log" &
  pid=$!
  ready=
  for _ in $(seq 1200); do
    if [ "$(curl -s --max-time 1 http://127.0.0.1:$admin/readyz 2>/dev/null)" = ready ]; then
      ready=$((($(date +%s%N) - t0) / 1000000))
      break
    fi
    sleep 0.01
  done
  # utime + stime: gatehouse's own work; the rest of the wait is the fake serving its lists.
  cpu_ms=$(awk -v hz="$clk_tck" '{ printf "%d", ($14 + $15) * 1000 / hz }' /proc/$pid/stat)
  hwm=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' /proc/$pid/status)
  line=$(grep -m1 "configuration 1:" "$workdir/serve.log")
  compile_us=$(sed -n 's/.*published in \([0-9]*\) us.*/\1/p' <<<"$line")
  rules=$(sed -n 's/.*configuration 1: \([0-9]*\) rules.*/\1/p' <<<"$line")
  kill -TERM $pid
  wait $pid
  [ -n "$ready" ] || { echo "run $run: not ready within 12 s"; tail "$workdir/serve.log"; exit 1; }
  echo "| $run | $ready | $cpu_ms | $((compile_us / 1000)) | $hwm | $rules |"
  grep -E "kube: listed" "$workdir/serve.log" | sed 's/^gatehouse: kube: /  /' >"$workdir/lists"
done
echo
echo "The last run's lists (the five informers list concurrently; times overlap):"
cat "$workdir/lists"
