#!/usr/bin/env bash
# bench/proxy/pod_tls.sh — what TLS to the pods (appProtocol https) costs gatehouse: the same
# tiny response from one nginx backend, over plain HTTP/1.1 and over TLS 1.3, through one
# `gatehouse serve --workers 1` (client keep-alive, pod connections pooled), alternating the two
# runs. Prints requests/s and gatehouse's CPU per request for each, and the ratios.
# usage (from the repo root): bench/proxy/pod_tls.sh
# env knobs: SECONDS_PER_RUN=5 REPEAT=3 CONNECTIONS=64 PROXY_CPU=0 CLIENT_CPU=1
#            GATEHOUSE=build/src/app/gatehouse
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
CONNECTIONS=${CONNECTIONS:-64}
NEEDS="nginx wrk openssl" NAME=podtls
source "$here/side_lib.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=pod \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
plain_pod=$(port) tls_pod=$(port) proxy=$(port)
mkdir -p "$work/tmp"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/tmp;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    server { listen 127.0.0.1:$plain_pod; location / { return 200 "hello\n"; } }
    server {
        listen 127.0.0.1:$tls_pod ssl;
        ssl_certificate $work/cert.pem;
        ssl_certificate_key $work/key.pem;
        ssl_protocols TLSv1.3;
        location / { return 200 "hello\n"; }
    }
}
CONF
taskset -c "$PROXY_CPU" nginx -p "$work" -e "$work/nginx.error.log" -c "$work/nginx.conf" &
pids+=($!)
mkdir "$work/m"
for kind in plain tls; do
  if [ $kind = plain ]; then p=$plain_pod proto=http; else p=$tls_pod proto=https; fi
  cat >"$work/m/$kind.yaml" <<YAML
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: $kind, namespace: default}
spec:
  rules:
  - host: $kind.org
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: $kind, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: $kind, namespace: default}
spec:
  ports: [{port: 80, targetPort: $p, appProtocol: $proto}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: $kind-1, namespace: default, labels: {kubernetes.io/service-name: $kind}}
addressType: IPv4
ports: [{name: "", port: $p, protocol: TCP}]
endpoints: [{addresses: ["127.0.0.1"], conditions: {ready: true}}]
YAML
done
taskset -c "$PROXY_CPU" "$GATEHOUSE" serve -m "$work/m" --listen 127.0.0.1:$proxy --workers 1 2>"$work/serve.log" &
gh=$!
pids+=($gh)
wait_port $plain_pod; wait_port $tls_pod; wait_port $proxy
for kind in plain tls; do
  got=$(curl -s -H "Host: $kind.org" http://127.0.0.1:$proxy/)
  [ "$got" = hello ] || { echo "$kind.org: got '$got', not hello" >&2; cat "$work/serve.log" >&2; exit 1; }
done

: >"$work/runs"
for r in $(seq $REPEAT); do
  for kind in plain tls; do
    # The warm-up opens the pod connections (and their handshakes); the measured run reuses them.
    taskset -c "$CLIENT_CPU" wrk -t1 -c$CONNECTIONS -d1s -H "Host: $kind.org" http://127.0.0.1:$proxy/ >/dev/null
    t0=$(ticks $gh)
    n=$(taskset -c "$CLIENT_CPU" wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s -H "Host: $kind.org" \
      http://127.0.0.1:$proxy/ | awk '/requests in/ { print $1 }')
    t1=$(ticks $gh)
    echo "$kind $n $((t1 - t0))" >>"$work/runs"
  done
done
awk -v hz=$hz -v secs=$SECONDS_PER_RUN '
  { n[$1] += $2; t[$1] += $3; runs[$1]++ }
  END {
    for (k in n) { rps[k] = n[k] / runs[k] / secs; us[k] = t[k] / hz * 1e6 / n[k] }
    print "| pod connection | req/s | µs gatehouse CPU/req |"
    print "| --- | ---: | ---: |"
    printf "| plain HTTP/1.1 | %d | %.1f |\n", rps["plain"], us["plain"]
    printf "| TLS 1.3 (appProtocol https) | %d | %.1f |\n", rps["tls"], us["tls"]
    printf "\nTLS to the pod: %.2fx the requests/s, %.2fx the CPU per request of plain.\n", rps["tls"] / rps["plain"], us["tls"] / us["plain"]
  }' "$work/runs"
grep -q . "$work/nginx.error.log" && { echo "nginx errors:" >&2; head "$work/nginx.error.log" >&2; } || true
