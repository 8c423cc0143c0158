# Shared helpers for the end-to-end scripts: free loopback ports, processes started and stopped by
# PID, and assertions that count failures. Source it; set $gatehouse first.
failures=0
started_pids=()
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() {  # check WHAT EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then echo "ok: $1"; else fail "$1: expected [$2], got [$3]"; fi
}
contains() {  # contains WHAT NEEDLE HAYSTACK
  if grep -qF -- "$2" <<<"$3"; then echo "ok: $1"; else fail "$1: no [$2] in:"$'\n'"$3"; fi
}
# Ports are taken below the kernel's ephemeral range: a client connection's port lingers in
# TIME-WAIT after it closes, and a server cannot bind it then (EADDRINUSE, even with
# SO_REUSEADDR), so a port from that range that looks free may still fail to bind.
ephemeral_low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
[[ ${ephemeral_low:-} =~ ^[0-9]+$ && $ephemeral_low -gt 12000 ]] || ephemeral_low=32768
free_port() {  # a TCP port on 127.0.0.1 nobody listens on
  local port
  for _ in $(seq 50); do
    port=$((10000 + RANDOM % (ephemeral_low - 10000)))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo $port; return; fi
  done
  return 1
}
start() {  # start CMD...: runs it in the background, remembers its PID in $last_pid
  "$@" &
  last_pid=$!
  started_pids+=($last_pid)
}
wait_port() {  # wait_port PORT: until something listens (5 s at most)
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
    sleep 0.05
  done
  fail "nothing listens on port $1"
  return 1
}
cleanup() {
  for pid in "${started_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${started_pids[@]}"; do wait "$pid" 2>/dev/null; done
  [ -n "${workdir:-}" ] && rm -rf "$workdir"
}
trap cleanup EXIT
finish() {
  if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
  echo "all checks passed"
}
# A manifest like examples/foobar.yaml with the endpoints on the given ports:
# foobar_manifest PORT_FOO_A PORT_FOO_B PORT_BAR_A PORT_BAR_B
foobar_manifest() {
  sed -e "s/18080/$1/g; s/18181/$2/g; s/19090/$3/g; s/19191/$4/g" "$source_dir/examples/foobar.yaml"
}
# start_foobar_pods [LOG]: the four echo pods of the foobar table (foo-a foo-b bar-a bar-b) on free
# ports, in $ports in that order, their stderr appended to LOG (default: discarded).
start_foobar_pods() {
  local log=${1:-/dev/null} name
  ports=()
  for name in foo-a foo-b bar-a bar-b; do
    ports+=($(free_port))
    start "$gatehouse" echo --listen 127.0.0.1:${ports[-1]} --name $name 2>>"$log"
  done
}
# start_serve [ARG...]: gatehouse serve on $workdir/manifests, $serve_workers workers (default 2), a free port in $proxy
# (and $url), its PID in $serve_pid, its log in $workdir/serve.log; waits until the pods and the
# proxy listen (prints the logs and exits when they do not).
start_serve() {
  local p
  proxy=$(free_port)
  url=http://127.0.0.1:$proxy
  start "$gatehouse" serve -m "$workdir/manifests" --listen 127.0.0.1:$proxy --workers ${serve_workers:-2} "$@" \
    2>"$workdir/serve.log"
  serve_pid=$last_pid
  for p in "${ports[@]}" $proxy; do wait_port $p || { cat "$workdir"/*.log; exit 1; }; done
}
# backend NAME HOST POD_PORT APP_PROTOCOL [SECRET]: an Ingress HOST (spec.tls with SECRET when
# given) → Service NAME port 50051 (targetPort POD_PORT, the given appProtocol) → an EndpointSlice
# with 127.0.0.1:POD_PORT, ready.
backend() {
  local tls=""
  [ -n "${5:-}" ] && tls="  tls:
  - hosts:
    - $2
    secretName: $5
"
  cat <<EOF
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: $1
  namespace: default
spec:
${tls}  rules:
  - host: $2
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: $1
            port:
              number: 50051
---
apiVersion: v1
kind: Service
metadata:
  name: $1
  namespace: default
spec:
  ports:
  - port: 50051
    targetPort: $3
    appProtocol: $4
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $1-local
  namespace: default
  labels:
    kubernetes.io/service-name: $1
addressType: IPv4
ports:
- name: ""
  port: $3
  protocol: TCP
endpoints:
- addresses: ["127.0.0.1"]
  conditions:
    ready: true
EOF
}
# rss_watch_start: samples gatehouse serve's VmRSS ($serve_pid) every 0.2 s from now on.
# rss_watch_check LIMIT_MIB: stops sampling; checks that RSS after, and (when the caller asks,
# with "peak" as second argument) the highest sample, stay within LIMIT_MIB of the start.
serve_rss() { awk '$1 == "VmRSS:" { print $2 }' /proc/$serve_pid/status; }
rss_watch_start() {
  : > "$workdir/rss.samples"
  ( while sleep 0.2; do serve_rss >> "$workdir/rss.samples"; done ) &
  rss_sampler=$!
  started_pids+=($rss_sampler)
  rss_before=$(serve_rss)
}
rss_watch_check() {
  local limit=$(($1 * 1024)) after peak
  sleep 0.5
  after=$(serve_rss)
  kill $rss_sampler 2>/dev/null; wait $rss_sampler 2>/dev/null
  peak=$(sort -n "$workdir/rss.samples" | tail -1)
  echo "serve VmRSS: $rss_before KiB before the transfers, $after KiB after, highest sample ${peak:-?} KiB"
  if [ -n "$rss_before" ] && [ -n "$after" ] && [ $((after - rss_before)) -le $limit ]; then
    echo "ok: RSS grew by at most $1 MiB ($(((after - rss_before) / 1024)) MiB)"
  else fail "RSS grew from ${rss_before:-?} to ${after:-?} KiB (limit +$1 MiB)"; fi
  [ "${2:-}" == peak ] || return 0
  if [ -n "$peak" ] && [ -n "$rss_before" ] && [ $((peak - rss_before)) -le $limit ]; then
    echo "ok: the highest RSS sample is at most $1 MiB above the start"
  else fail "RSS peaked at ${peak:-?} KiB from ${rss_before:-?} KiB (limit +$1 MiB)"; fi
}
# require_python_h2: sets $py to Debian's python3 and exits 77 (skipped) when it lacks python3-h2.
require_python_h2() {
  py=/usr/bin/python3
  timeout 10 $py -c 'import h2' 2>/dev/null || { echo "skipped: no python3-h2"; exit 77; }
}
