#!/usr/bin/env bash
# bench/proxy/handshake_floor.sh — where a full TLS handshake's CPU goes, and what `openssl speed`
# allows. The TLS issue's goal was full handshakes/s within 10% of `openssl speed`'s limit; this
# measures, on one pinned core and side by side in one run:
#   - the limit: 1 / (1/sign + 2/X25519) from `openssl speed` (ECDSA P-256 sign, X25519), the
#     public-key work of one TLS 1.3 full handshake on the server;
#   - openssl s_server -www: OpenSSL's own server (no proxying), the floor for any server built on
#     this OpenSSL and this kernel;
#   - gatehouse serve, a full handshake + a request (answered 404 by gatehouse itself);
#   - gatehouse serve over plain TCP, a new connection + the same request (wrk, Connection:
#     close): the kernel's and the HTTP cost that a handshake rides on.
# CPU per handshake is the server process's utime+stime over the run divided by the handshakes
# (or requests) the clients counted; "÷ limit" = (1e6 / limit) / (µs per handshake).
# usage (from the repo root): bench/proxy/handshake_floor.sh
# env knobs: SECONDS_PER_RUN=5 REPEAT=3 CLIENTS=8 (parallel `openssl s_time -new`)
#            PROXY_CPU=0 CLIENT_CPU=1 GATEHOUSE=build/src/app/gatehouse
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
CLIENTS=${CLIENTS:-8}
NEEDS="openssl wrk" NAME=hsfloor
source "$here/side_lib.sh"

# The same P-256 certificate for both servers.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=foo.org \
  -addext subjectAltName=DNS:foo.org -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
mkdir "$work/m"
{
  printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: bench-tls\n  namespace: default\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n'
  sed 's/^/    /' "$work/cert.pem"
  printf '  tls.key: |\n'
  sed 's/^/    /' "$work/key.pem"
} >"$work/m/secret.yaml"
cp examples/foobar.yaml "$work/m/"

plain=$(port) tls=$(port) ossl=$(port)
taskset -c "$PROXY_CPU" "$GATEHOUSE" serve -m "$work/m" --listen 127.0.0.1:$plain --listen-tls 127.0.0.1:$tls \
  --default-certificate default/bench-tls --workers 1 2>"$work/serve.log" &
gh=$!
pids+=($gh)
taskset -c "$PROXY_CPU" openssl s_server -accept 127.0.0.1:$ossl -cert "$work/cert.pem" -key "$work/key.pem" \
  -www -quiet -naccept 100000000 >/dev/null 2>&1 &
os=$!
pids+=($os)
wait_port $plain; wait_port $tls; wait_port $ossl

echo "openssl speed ecdsap256 ecdhx25519 on core $PROXY_CPU ..." >&2
read -r sign x25519 limit < <(taskset -c "$PROXY_CPU" openssl speed -seconds 3 ecdsap256 ecdhx25519 2>/dev/null | awk '
  /ecdsa \(nistp256\)/ { s = $(NF - 1) } /ecdh \(X25519\)/ { x = $NF }
  END { printf "%.0f %.0f %.0f\n", s, x, (s > 0 && x > 0 ? 1 / (1 / s + 2 / x) : 0) }')
((limit > 0)) || { echo "cannot read openssl speed" >&2; exit 1; }

stime() {  # stime PID PORT: CLIENTS `s_time -new` → "handshakes ticks"
  local t0 t1 i
  t0=$(ticks $1)
  for i in $(seq $CLIENTS); do
    taskset -c "$CLIENT_CPU" timeout $((SECONDS_PER_RUN + 20)) openssl s_time -connect 127.0.0.1:$2 -new \
      -time "$SECONDS_PER_RUN" -www /hs >"$work/st.$i" 2>&1 &
  done
  wait $(jobs -p | grep -vxF -e "$gh" -e "$os") 2>/dev/null || true
  t1=$(ticks $1)
  echo "$(awk '/connections in [0-9.]+s;/ { n += $1 } END { print n + 0 }' "$work"/st.*) $((t1 - t0))"
}
close_run() {  # "requests ticks" of wrk with a new connection per request, against gatehouse
  local t0 t1 n
  t0=$(ticks $gh)
  n=$(taskset -c "$CLIENT_CPU" wrk -t1 -c$CLIENTS -d${SECONDS_PER_RUN}s -H 'Connection: close' -H 'Host: nothing.org' \
    http://127.0.0.1:$plain/hs 2>&1 | awk '/requests in/ { print $1 }')
  t1=$(ticks $gh)
  echo "$n $((t1 - t0))"
}
: >"$work/runs"
for r in $(seq $REPEAT); do
  echo "run $r/$REPEAT ..." >&2
  echo "openssl-s_server $(stime $os $ossl)" >>"$work/runs"
  echo "gatehouse-tls $(stime $gh $tls)" >>"$work/runs"
  echo "gatehouse-plain $(close_run)" >>"$work/runs"
done
awk -v hz=$hz -v limit=$limit -v secs=$SECONDS_PER_RUN -v sign=$sign -v x=$x25519 '
  { n[$1] += $2; t[$1] += $3; runs[$1]++ }
  function us(k) { return n[k] > 0 ? t[k] / hz * 1e6 / n[k] : 0 }
  END {
    floor = 1e6 / limit
    printf "openssl speed: ECDSA P-256 %d sign/s, X25519 %d op/s → limit %d full handshakes/s per core (%.1f µs each)\n\n", sign, x, limit, floor
    print "| server | what a client gets | per second | µs server CPU each | ÷ limit |"
    print "| --- | --- | ---: | ---: | ---: |"
    printf "| openssl s_server -www | full TLS 1.3 handshake + a page | %d | %.0f | %.2f |\n", n["openssl-s_server"] / runs["openssl-s_server"] / secs, us("openssl-s_server"), floor / us("openssl-s_server")
    printf "| gatehouse serve | full TLS 1.3 handshake + a 404 | %d | %.0f | %.2f |\n", n["gatehouse-tls"] / runs["gatehouse-tls"] / secs, us("gatehouse-tls"), floor / us("gatehouse-tls")
    printf "| gatehouse serve | new TCP connection + a 404 (no TLS) | %d | %.0f | — |\n", n["gatehouse-plain"] / runs["gatehouse-plain"] / secs, us("gatehouse-plain")
    d = us("gatehouse-tls") - us("gatehouse-plain")
    printf "\ngatehouse: the TLS handshake itself (TLS minus plain) costs %.0f µs of CPU, %.2f of the limit'"'"'s %.1f µs.\n", d, floor / d, floor
  }' "$work/runs"
