#!/usr/bin/env bash
# HTTP/2 from clients, seen by curl, nghttp, h2load and openssl s_client: ALPN h2 (preferred) and
# http/1.1 on TLS listeners, prior knowledge (h2c) next to HTTP/1.1 on plain ones, no Upgrade: h2c;
# requests routed by :authority and path like HTTP/1.1 and forwarded to the pods over HTTP/1.1
# (Host = :authority, X-Forwarded-Proto of the listener, no pseudo-headers); the server's SETTINGS
# (MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW_SIZE 65535, ENABLE_PUSH 0, connection window 1 MiB);
# streams multiplexed on one connection; 10 MiB downloads (Content-Length, chunked, until-close)
# and 20 MiB uploads (with and without a length) with bounded memory; HEAD without a body; 404;
# the https redirect over h2c; a 40 KiB header list → 431; SIGTERM with an idle h2 connection.
# usage: h2_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
c() { timeout 20 curl -s "$@"; }
py=/usr/bin/python3  # only its standard library is used here

# --- Certificates and manifests -----------------------------------------------------------------
source "$source_dir/tests/e2e/tls_lib.sh"
make_cert foo 3001 foo.org

start_foobar_pods "$workdir/echo.log"
# A pod that answers HTTP/1.0 without Content-Length: the body ends when it closes.
close_port=$(free_port)
start $py -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_GET(self):
        n = int(self.path.rsplit("/", 1)[-1]) if self.path.rsplit("/", 1)[-1].isdigit() else 6
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        piece = b"y" * 65536
        while n > 0:
            self.wfile.write(piece[:min(n, len(piece))])
            n -= min(n, len(piece))
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' $close_port 2>>"$workdir/echo.log"
ports+=($close_port)  # start_serve waits for it too

mkdir "$workdir/manifests"
m=$workdir/manifests
# foobar with TLS for foo.org only: bar.org stays plain (h2c reaches its pods, foo.org redirects).
foobar_manifest "${ports[@]:0:4}" |
  perl -0pe 's/^spec:\n/spec:\n  tls:\n  - hosts:\n    - foo.org\n    secretName: foo-tls\n/m' > "$m/foobar.yaml"
check "foobar.yaml got its spec.tls section" "1" "$(grep -c 'secretName: ' "$m/foobar.yaml")"
tls_secret foo-tls "$workdir/foo.pem" "$workdir/foo.key" > "$m/secret-foo.yaml"
cat > "$m/until-close.yaml" <<EOF
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: until-close
  namespace: default
spec:
  rules:
  - host: close.org
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: close-pod
            port:
              number: 80
---
apiVersion: v1
kind: Service
metadata:
  name: close-pod
  namespace: default
spec:
  ports:
  - port: 80
    targetPort: $close_port
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: close-pod-local
  namespace: default
  labels:
    kubernetes.io/service-name: close-pod
addressType: IPv4
ports:
- name: ""
  port: $close_port
  protocol: TCP
endpoints:
- addresses: ["127.0.0.1"]
  conditions:
    ready: true
EOF

tls=$(free_port)
start_serve --listen-tls 127.0.0.1:$tls --drain-timeout-ms 5000
wait_port $tls || { cat "$workdir/serve.log"; exit 1; }

# tls2 [CURL-ARG...] URL: curl over TLS to the listener, foo.org resolved to 127.0.0.1 and verified
# against the test CA. h2c [CURL-ARG...] URL: curl with prior knowledge to the plain listener.
resolve=(--resolve foo.org:$tls:127.0.0.1 --resolve foo.org:$proxy:127.0.0.1
  --resolve bar.org:$proxy:127.0.0.1 --resolve baz.org:$proxy:127.0.0.1
  --resolve close.org:$proxy:127.0.0.1)
tls2() { c --http2 --cacert "$workdir/ca.pem" "${resolve[@]}" "$@"; }
h2c() { c --http2-prior-knowledge "${resolve[@]}" "$@"; }
F=https://foo.org:$tls
B=http://bar.org:$proxy

# --- Negotiation --------------------------------------------------------------------------------
check "TLS, curl --http2: HTTP/2 and foo-a" "2 name=foo-a" \
  "$(tls2 -w '%{http_version} ' -o /dev/null $F/a)$(tls2 $F/a | head -1)"
check "h2c prior knowledge: HTTP/2 and bar-a" "2 name=bar-a" \
  "$(h2c -w '%{http_version} ' -o /dev/null $B/a)$(h2c $B/a | head -1)"
out=$(c --http1.1 --cacert "$workdir/ca.pem" "${resolve[@]}" -w '\n%{http_version}' $F/b)
check "TLS, curl --http1.1: still HTTP/1.1, foo-b" "1.1 name=foo-b" "$(tail -1 <<<"$out") $(head -1 <<<"$out")"
check "plain HTTP/1.1 on the h2c listener" "1.1 200" \
  "$(c --http1.1 "${resolve[@]}" -w '%{http_version} %{http_code}' -o /dev/null $B/b)"
out=$(c --http2 "${resolve[@]}" -w '\n%{http_version} %{http_code}' $B/a)
check "curl --http2 on plain (Upgrade: h2c): not upgraded, HTTP/1.1 200" "1.1 200" "$(tail -1 <<<"$out")"
check "Upgrade: h2c: still answered by bar-a" "name=bar-a" "$(head -1 <<<"$out")"
alpn() {  # alpn LIST: the ALPN protocol openssl s_client reports
  timeout 10 openssl s_client -connect 127.0.0.1:$tls -servername foo.org -alpn "$1" </dev/null 2>/dev/null |
    grep -a '^ALPN protocol' || echo "(no ALPN line)"
}
check "openssl s_client -alpn h2" "ALPN protocol: h2" "$(alpn h2)"
check "openssl s_client -alpn http/1.1,h2: the server prefers h2" "ALPN protocol: h2" "$(alpn http/1.1,h2)"
check "openssl s_client -alpn http/1.1" "ALPN protocol: http/1.1" "$(alpn http/1.1)"

# --- Routing and what the pod sees --------------------------------------------------------------
check "TLS h2 foo.org /b" "name=foo-b" "$(tls2 $F/b | head -1)"
check "h2c bar.org /b" "name=bar-b" "$(h2c $B/b | head -1)"
body=$(tls2 "$F/a/x?q=1")
contains "TLS h2: the path and query reach the pod" "target=/a/x?q=1" "$body"
contains "TLS h2: forwarded over HTTP/1.1" "version=HTTP/1.1" "$body"
contains "TLS h2: X-Forwarded-Proto: https" "header: X-Forwarded-Proto: https" "$body"
check "TLS h2: one Host header, equal to :authority" "header: Host: foo.org:$tls" "$(grep -i '^header: host:' <<<"$body")"
check "TLS h2: the pod answered, and saw no pseudo-header" "name=foo-a" "$(head -1 <<<"$body")$(grep '^header: :' <<<"$body")"
body=$(h2c -H 'X-Test: yes' "$B/a/y?z=2")
contains "h2c: the path and query reach the pod" "target=/a/y?z=2" "$body"
contains "h2c: X-Forwarded-Proto: http" "header: X-Forwarded-Proto: http" "$body"
check "h2c: one Host header, equal to :authority" "header: Host: bar.org:$proxy" "$(grep -i '^header: host:' <<<"$body")"
# (HTTP/2 header names are lower case on the wire: compared without case.)
check "h2c: a request header reaches the pod" "header: x-test: yes" "$(grep -i '^header: x-test:' <<<"$body" | tr A-Z a-z)"
check "h2c: the pod answered, and saw no pseudo-header" "name=bar-a" "$(head -1 <<<"$body")$(grep '^header: :' <<<"$body")"
check "TLS h2 foo.org /c (no rule): 404" "2 404" "$(tls2 -o /dev/null -w '%{http_version} %{http_code}' $F/c)"
check "h2c baz.org (no rule): 404" "2 404" \
  "$(h2c -o /dev/null -w '%{http_version} %{http_code}' http://baz.org:$proxy/a)"
check "h2c foo.org (TLS configured): 308 to https" "2 308 https://foo.org:$tls/a?q=1" \
  "$(h2c -o /dev/null -w '%{http_version} %{http_code} %header{location}' "http://foo.org:$proxy/a?q=1")"
check "TLS h2 pod /status/503: the status comes through" "503" \
  "$(tls2 -o /dev/null -w '%{http_code}' $F/a/status/503)"

# HEAD: headers only, no DATA with a payload (nghttp shows every frame).
check "TLS h2 HEAD (curl -I): 200 over HTTP/2" "2 200" "$(tls2 -I -o /dev/null -w '%{http_version} %{http_code}' $F/a)"
out=$(timeout 10 nghttp -nv -H ':method: HEAD' -H ":authority: foo.org:$tls" https://127.0.0.1:$tls/a/bytes/100000 2>&1)
contains "nghttp HEAD /a/bytes/100000: 200" ":status: 200" "$out"
check "nghttp HEAD: no DATA frame with a payload" "" \
  "$(grep -E 'recv DATA frame <length=[1-9]' <<<"$out")"
check "nghttp HEAD: the response stream ends (END_STREAM received)" "1" \
  "$(grep -A1 -E 'recv (HEADERS|DATA) frame' <<<"$out" | grep -c 'END_STREAM')"

# --- The server's SETTINGS and connection window (nghttp -nv) ------------------------------------
out=$(timeout 10 nghttp -nv -H ":authority: foo.org:$tls" https://127.0.0.1:$tls/a 2>&1)
contains "nghttp over TLS negotiates h2" "The negotiated protocol: h2" "$out"
# The first SETTINGS frame the server sends (not an ACK), one "[NAME(0xN):VALUE]" per line.
settings=$(awk '/recv SETTINGS frame/ && /flags=0x00/ { on = 1; next } on && /^\[/ { exit }
  on && /SETTINGS_/ { gsub(/^ +/, ""); print }' <<<"$out")
echo "server SETTINGS: $(tr '\n' ' ' <<<"$settings")"
contains "SETTINGS_MAX_CONCURRENT_STREAMS 100" "[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]" "$settings"
contains "SETTINGS_ENABLE_PUSH 0" "[SETTINGS_ENABLE_PUSH(0x02):0]" "$settings"
window=$(grep -F 'SETTINGS_INITIAL_WINDOW_SIZE' <<<"$settings")
check "SETTINGS_INITIAL_WINDOW_SIZE absent (the default) or 65535" "ok" \
  "$([ -n "$settings" ] && { [ -z "$window" ] || [ "$window" == '[SETTINGS_INITIAL_WINDOW_SIZE(0x04):65535]' ]; } && echo ok || echo "${window:-no SETTINGS}")"
increment=$(grep -A1 'recv WINDOW_UPDATE frame.*stream_id=0>' <<<"$out" | sed -n 's/.*window_size_increment=\([0-9]*\).*/\1/p' | head -1)
check "connection window raised to 1 MiB (WINDOW_UPDATE 0 + 65535)" "1048576" "$((${increment:-0} + 65535))"
contains "nghttp: the request answered by foo-a" "name=foo-a" "$(timeout 10 nghttp -H ":authority: foo.org:$tls" https://127.0.0.1:$tls/a 2>&1)"

# --- Multiplexing -------------------------------------------------------------------------------
# 20 requests for a response delayed 500 ms, on one connection: together they take ~0.5 s.
t0=$(date +%s%N)
out=$(timeout 20 nghttp -nv -m 20 -H ":authority: foo.org:$tls" https://127.0.0.1:$tls/a/delay/500 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
answered=$(grep -c 'recv (stream_id=[0-9]*) :status: 200' <<<"$out")
check "nghttp -m 20: 20 responses 200" "20" "$answered"
check "nghttp -m 20: on 20 distinct streams" "20" \
  "$(grep -o 'recv (stream_id=[0-9]*) :status: 200' <<<"$out" | sort -u | wc -l)"
echo "nghttp -m 20 of /a/delay/500 took $ms ms"
if [ $ms -lt 4000 ] && [ "$answered" == 20 ]; then echo "ok: the 20 streams ran concurrently"
else fail "20 x 500 ms on one connection: $answered answered in $ms ms (concurrent: 20 in < 4000)"; fi
# h2load_check NAME URL ARG...: 2000 requests on 4 connections, 10 streams each at a time.
h2load_check() {
  local name=$1 target=$2
  shift 2
  local out
  out=$(timeout 40 h2load -n 2000 -c 4 -m 10 "$@" "$target" 2>&1)  # (--npn-list=h2: no fallback)
  check "$name: 2000 requests, 2000 succeeded, 0 failed, 0 errored" \
    "2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored" \
    "$(sed -n 's/^requests: \(.*errored\).*/\1/p' <<<"$out")"
  check "$name: all 2xx" "2000 2xx, 0 3xx, 0 4xx, 0 5xx" \
    "$(sed -n 's/^status codes: //p' <<<"$out")"
  contains "$name: HTTP/2 (h2 or h2c)" "Application protocol: h2" "$out"
}
h2load_check "h2load over TLS" "$F/a" --connect-to=127.0.0.1:$tls --npn-list=h2
h2load_check "h2load h2c" "$B/b" --connect-to=127.0.0.1:$proxy

# --- Large bodies and memory --------------------------------------------------------------------
rss_watch_start
mib10=$((10 * 1024 * 1024))
mib20=$((20 * 1024 * 1024))
check "TLS h2: 10 MiB download (Content-Length)" "2 200 $mib10" \
  "$(tls2 -o /dev/null -w '%{http_version} %{http_code} %{size_download}' $F/a/bytes/$mib10)"
check "TLS h2: 10 MiB download (chunked from the pod)" "2 200 $mib10" \
  "$(tls2 -o /dev/null -w '%{http_version} %{http_code} %{size_download}' "$F/a/bytes/$mib10?chunked=1")"
check "h2c: 10 MiB download (Content-Length)" "2 200 $mib10" \
  "$(h2c -o /dev/null -w '%{http_version} %{http_code} %{size_download}' $B/a/bytes/$mib10)"
check "h2c: 10 MiB download (until the pod closes)" "2 200 $mib10" \
  "$(h2c -o /dev/null -w '%{http_version} %{http_code} %{size_download}' http://close.org:$proxy/$mib10)"
check "h2c: a small until-close body" "yyyyyy" "$(h2c http://close.org:$proxy/x)"
truncate -s $mib20 "$workdir/upload"
out=$(tls2 -T "$workdir/upload" -w '\n%{http_version} %{http_code}' $F/a)
check "TLS h2: 20 MiB upload (-T FILE, with a length): the pod got every byte" \
  "body_bytes=$mib20" "$(grep '^body_bytes=' <<<"$out")"
check "TLS h2: 20 MiB upload: HTTP/2 200, method PUT" "2 200 method=PUT" \
  "$(tail -1 <<<"$out") $(grep '^method=' <<<"$out")"
out=$(head -c $mib20 /dev/zero | tls2 -T - -w '\n%{http_version} %{http_code}' $F/a)
check "TLS h2: 20 MiB upload from stdin (no length): the pod got every byte" \
  "body_bytes=$mib20" "$(grep '^body_bytes=' <<<"$out")"
check "TLS h2: upload without a length: HTTP/2 200" "2 200" "$(tail -1 <<<"$out")"
out=$(h2c --data-binary @"$workdir/upload" -w '\n%{http_version} %{http_code}' $B/a)
check "h2c: 20 MiB POST --data-binary @file: the pod got every byte" \
  "body_bytes=$mib20" "$(grep '^body_bytes=' <<<"$out")"
check "h2c: 20 MiB POST: HTTP/2 200, method POST" "2 200 method=POST" \
  "$(tail -1 <<<"$out") $(grep '^method=' <<<"$out")"
rm -f "$workdir/upload"
rss_watch_check 30

# A pod dying mid-response (/abort promises 1,000,000 bytes and sends 1,000): the client must see
# an error, never a complete short body.
c --http2 --cacert "$workdir/ca.pem" "${resolve[@]}" -o /dev/null $F/a/abort
status=$?
if [ $status -ne 0 ] && [ $status -ne 124 ]; then echo "ok: a response cut by the pod is an error for the client (curl exit $status)"
else fail "a response cut by the pod: curl exit $status (0: looked complete; 124: hung)"; fi

# --- Header list limit --------------------------------------------------------------------------
big=$(head -c 40960 /dev/zero | tr '\0' a)
check "TLS h2: a 40 KiB header → 431" "2 431" \
  "$(tls2 -o /dev/null -w '%{http_version} %{http_code}' -H "X-Big: $big" $F/a)"
check "h2c: a 40 KiB header → 431" "2 431" \
  "$(h2c -o /dev/null -w '%{http_version} %{http_code}' -H "X-Big: $big" $B/a)"
many=()
for i in $(seq 10); do many+=(-H "X-Big-$i: ${big:0:4096}"); done
check "h2c: ten 4 KiB headers (40 KiB in all) → 431" "2 431" \
  "$(h2c -o /dev/null -w '%{http_version} %{http_code}' "${many[@]}" $B/a)"
body=$(tls2 -H "X-Medium: ${big:0:16384}" $F/a)
check "TLS h2: a 16 KiB header is still fine and reaches the pod" "16384" \
  "$(sed -n 's/^header: [Xx]-[Mm]edium: //p' <<<"$body" | tr -d '\n' | wc -c)"
check "after the 431s: the server answers" "name=foo-a" "$(tls2 $F/a | head -1)"

# --- SIGTERM with an idle h2c connection --------------------------------------------------------
# A raw h2c connection: the preface, an empty SETTINGS, and GET bar.org /a (HPACK: :method GET,
# :scheme http, :path /a, :authority bar.org); then the connection stays open, idle.
exec 7<>/dev/tcp/127.0.0.1/$proxy
printf 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00' >&7
printf '\x00\x00\x0f\x01\x05\x00\x00\x00\x01\x82\x86\x04\x02/a\x41\x07bar.org' >&7
# (Through bash -c: a command started with & by a non-interactive shell gets /dev/null as stdin.)
start bash -c "exec timeout 30 cat <&7 >'$workdir/idle.out'"
idle_reader=$last_pid
for _ in $(seq 50); do grep -qa 'name=bar-a' "$workdir/idle.out" && break; sleep 0.1; done
check "raw h2c connection: answered by bar-a" "name=bar-a" "$(grep -ao 'name=bar-a' "$workdir/idle.out" | head -1)"
printf '\x00\x00\x00\x04\x01\x00\x00\x00\x00' >&7  # SETTINGS ACK, now that the server's arrived
sleep 0.3
t0=$(date +%s%N)
kill -TERM $serve_pid
wait $serve_pid
status=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "SIGTERM with an idle h2 connection: exit 0" "0" "$status"
echo "serve exited $ms ms after SIGTERM (drain timeout 5000 ms)"
if [ $ms -le 5500 ]; then echo "ok: exited within the drain timeout"; else fail "exited after $ms ms"; fi
for _ in $(seq 20); do kill -0 $idle_reader 2>/dev/null || break; sleep 0.1; done
if kill -0 $idle_reader 2>/dev/null; then fail "the idle connection is still open after serve exited"
else echo "ok: the idle connection was closed"; fi
exec 7>&-
# The frames the server sent on it, "TYPE FLAGS STREAM" per line (type 7: GOAWAY).
frames=$($py -c '
import sys
data = open(sys.argv[1], "rb").read()
i = 0
while i + 9 <= len(data):
    n = int.from_bytes(data[i:i + 3], "big")
    print(data[i + 3], data[i + 4], int.from_bytes(data[i + 5:i + 9], "big") & 0x7fffffff)
    i += 9 + n
' "$workdir/idle.out")
contains "the idle connection got a response HEADERS on stream 1" "1 4 1" "$frames"
if grep -q '^7 ' <<<"$frames"; then echo "ok: the idle connection got a GOAWAY before the close"
else fail "no GOAWAY on the idle connection; frames (type flags stream): $(tr '\n' ',' <<<"$frames")"; fi
finish
