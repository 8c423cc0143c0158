#!/usr/bin/env bash
# The demo: the talk's foobar Ingress served live. Four echo backends stand in for the pods
# (127.0.0.1:18080, 18181, 19090, 19191, as examples/foobar.yaml lists them), gatehouse serves
# the table on 127.0.0.1:8080, and the curl lines below show r1–r4. Ctrl-C stops everything.
# DEMO_SECONDS=N stops it after N seconds instead (for scripted runs).
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
gatehouse="$build/src/app/gatehouse"
port=8080

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo stopped"
}
trap stop INT TERM EXIT

for port_free in 8080 18080 18181 19090 19191; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port_free) 2>/dev/null; then
    echo "port $port_free is in use: stop what listens there and try again" >&2
    exit 1
  fi
done

echo "== the routing table (gatehouse routes --manifests examples/foobar.yaml)"
"$gatehouse" routes --manifests examples/foobar.yaml 2>/dev/null
echo
for backend in foo-a:18080 foo-b:18181 bar-a:19090 bar-b:19191; do
  "$gatehouse" echo --listen "127.0.0.1:${backend#*:}" --name "${backend%%:*}" 2>/dev/null &
  pids+=($!)
done
"$gatehouse" serve --manifests examples/foobar.yaml --listen 127.0.0.1:$port --workers 2 &
pids+=($!)
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.05
done
sleep 0.2

echo
echo "== r1–r4 through the proxy: each request reaches the pod its rule names"
for request in "foo.org /a" "foo.org /b" "bar.org /a" "bar.org /b" "baz.org /a"; do
  set -- $request
  echo "\$ curl -H 'Host: $1' http://127.0.0.1:$port$2"
  curl -s -H "Host: $1" "http://127.0.0.1:$port$2" | head -3 | sed 's/^/    /'
done
echo
echo "gatehouse serves on 127.0.0.1:$port; edit examples/foobar.yaml and it reloads."
echo "Press Ctrl-C to stop."
if [ -n "${DEMO_SECONDS:-}" ]; then sleep "$DEMO_SECONDS"; else wait; fi
