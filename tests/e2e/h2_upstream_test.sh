#!/usr/bin/env bash
# HTTP/2 cleartext to the pods (Service port appProtocol kubernetes.io/h2c), the pod being
# Debian's nghttpd (--echo-upload, a trailer on every response, -v: every frame in its log).
# From HTTP/2 clients (TLS with ALPN h2, and h2c prior knowledge), seen by nghttp -nv, curl and
# h2load: the response's trailers arrive as a trailing HEADERS frame with END_STREAM after the
# DATA; `te: trailers` reaches the pod; 10 MiB downloads and 50 MiB echoed uploads intact
# (sha256) with bounded serve memory; 5000 requests by h2load on few upstream connections (the
# distinct connections nghttpd logs during the run); a pod's RST_STREAM reaches the client with
# its code (a small python3-h2 pod, when installed), a trailers-only response stays one HEADERS
# with END_STREAM; three client cancels each reach the pod as RST_STREAM(CANCEL);
# appProtocol https on a plaintext pod → 502 naming the handshake; HTTP/1.1 clients to the h2c pods (Content-Length
# kept, otherwise chunked; trailers as chunked trailer fields only with TE: trailers); the pod
# killed → an in-flight download ends in an error and new requests get 502/503 at once, no hang.
# usage: h2_upstream_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
c() { timeout 20 curl -s "$@"; }
nghttpd=/usr/sbin/nghttpd
for tool in $nghttpd nghttp h2load; do
  command -v $tool >/dev/null || { echo "skipped: no $tool (apt-get install nghttp2)"; exit 77; }
done

# --- Certificates -------------------------------------------------------------------------------
source "$source_dir/tests/e2e/tls_lib.sh"
make_cert h2 4001 h2.org

# --- The pods: nghttpd, with and without Content-Length -----------------------------------------
mkdir "$workdir/doc"
head -c 1000 /dev/urandom | base64 -w 0 | head -c 1000 > "$workdir/doc/file"  # text: the --raw checks
mib10=$((10 * 1024 * 1024))
mib50=$((50 * 1024 * 1024))
head -c $mib10 /dev/urandom > "$workdir/doc/big"
truncate -s 256M "$workdir/doc/huge"  # sparse: longer than any buffering, for the cancels
big_sum=$(sha256sum < "$workdir/doc/big" | cut -d' ' -f1)
file_sum=$(sha256sum < "$workdir/doc/file" | cut -d' ' -f1)
sum() { sha256sum | cut -d' ' -f1; }
# pod: every response with Content-Length and the trailer x-t: 1; -v logs each frame, lines of a
# connection prefixed [id=N]. pod_nocl: the same without Content-Length.
pod=$(free_port)
# (stdbuf -oL: the log is read while nghttpd runs; a file would get it in 4 KiB blocks.)
start stdbuf -oL $nghttpd -a 127.0.0.1 --no-tls -v -d "$workdir/doc" --echo-upload --trailer 'x-t: 1' $pod \
  >"$workdir/nghttpd.log" 2>&1
pod_pid=$last_pid
pod_nocl=$(free_port)
while [ "$pod_nocl" == "$pod" ]; do pod_nocl=$(free_port); done
start $nghttpd -a 127.0.0.1 --no-tls -d "$workdir/doc" --no-content-length --trailer 'x-t: 1' \
  $pod_nocl >"$workdir/nghttpd-nocl.log" 2>&1
ports=($pod $pod_nocl)  # start_serve waits for them
# pod_rst (when /usr/bin/python3 has python3-h2): an HTTP/2 server that resets its streams with
# INTERNAL_ERROR, after HEADERS and 7 bytes of DATA for /after, before answering for /before;
# /only gets a trailers-only response (one HEADERS with END_STREAM and grpc-status 5).
py=/usr/bin/python3
if timeout 10 $py -c 'import h2' 2>/dev/null; then
  pod_rst=$(free_port)
  start $py -c '
import socket, sys, threading
import h2.config, h2.connection, h2.events
def serve(sock):
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    while True:
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                if dict(event.headers)[":path"] == "/only":  # trailers-only, as gRPC errors are
                    conn.send_headers(event.stream_id, [(":status", "200"), ("content-type", "application/grpc"),
                                                        ("grpc-status", "5"), ("grpc-message", "nope")], end_stream=True)
                    continue
                if dict(event.headers)[":path"] != "/before":
                    conn.send_headers(event.stream_id, [(":status", "200"), ("content-type", "text/plain")])
                    conn.send_data(event.stream_id, b"partial")
                conn.reset_stream(event.stream_id, error_code=2)  # INTERNAL_ERROR
        sock.sendall(conn.data_to_send())
    sock.close()
listener = socket.create_server(("127.0.0.1", int(sys.argv[1])))
while True:
    threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()
' $pod_rst 2>>"$workdir/rst.log"
  ports+=($pod_rst)
else
  echo "(no python3-h2 for $py: the pod-reset checks are skipped)"
  pod_rst=
fi

# --- Manifests ----------------------------------------------------------------------------------
mkdir "$workdir/manifests"
m=$workdir/manifests
backend h2-pod h2.org $pod kubernetes.io/h2c h2-tls > "$m/h2.yaml"
backend nocl-pod nocl.org $pod_nocl kubernetes.io/h2c > "$m/nocl.yaml"
# A pod said to speak TLS (it is the same nghttpd, plaintext): the handshake fails.
backend tls-pod tls.org $pod https > "$m/tls.yaml"
tls_secret h2-tls "$workdir/h2.pem" "$workdir/h2.key" > "$m/secret-h2.yaml"
[ -n "$pod_rst" ] && backend rst-pod rst.org $pod_rst kubernetes.io/h2c > "$m/rst.yaml"

tls=$(free_port)
# --ssl-redirect=false: h2.org (spec.tls) is also served on the plain listener, for h2c.
start_serve --listen-tls 127.0.0.1:$tls --ssl-redirect=false
wait_port $tls || { cat "$workdir/serve.log"; exit 1; }
echo "gatehouse serve on $proxy (h2c) and $tls (TLS), pods nghttpd on $pod and $pod_nocl"

resolve=(--resolve h2.org:$tls:127.0.0.1 --resolve h2.org:$proxy:127.0.0.1
  --resolve nocl.org:$proxy:127.0.0.1 --resolve tls.org:$proxy:127.0.0.1 --resolve tls.org:$tls:127.0.0.1
  --resolve rst.org:$proxy:127.0.0.1)
tls2() { c --http2 --cacert "$workdir/ca.pem" "${resolve[@]}" "$@"; }
h2c() { c --http2-prior-knowledge "${resolve[@]}" "$@"; }
h1() { c --http1.1 "${resolve[@]}" "$@"; }
S=https://h2.org:$tls
P=http://h2.org:$proxy
# frames OUT: the response frames nghttp -nv received, one word each in order: HEADERS or DATA
# (+ES with END_STREAM), "x-t:1" for the trailer field, RST_STREAM; repeated DATA shown once.
frames() {
  awk 'function es(line) { sub(/.*flags=0x/, "", line); return substr(line, 2, 1) ~ /[13579bdf]/ ? "+ES" : "" }
       /recv HEADERS frame/ { print "HEADERS" es($0); next }
       /recv DATA frame/ { print "DATA" es($0); next }
       /recv RST_STREAM frame/ { print "RST_STREAM"; next }
       /recv \(stream_id=[0-9]+\) x-t: 1$/ { print "x-t:1" }' <<<"$1" | uniq | tr '\n' ' ' | sed 's/ $//'
}

# --- Trailers, seen frame by frame --------------------------------------------------------------
pod_lines=$(wc -l < "$workdir/nghttpd.log")
out=$(timeout 10 nghttp -nv -H ':authority: h2.org' -H 'te: trailers' http://127.0.0.1:$proxy/file 2>&1)
check "h2c nghttp /file: 200" "200" "$(sed -n 's/.*recv (stream_id=[0-9]*) :status: //p' <<<"$out")"
check "h2c nghttp /file: HEADERS, DATA, then the trailer x-t: 1 in a HEADERS with END_STREAM" \
  "HEADERS DATA x-t:1 HEADERS+ES" "$(frames "$out")"
echo "frames nghttp received over h2c: $(frames "$out")"
log=$(tail -n +$((pod_lines + 1)) "$workdir/nghttpd.log")
contains "the pod got te: trailers" "te: trailers" "$(grep -E '^\[id=[0-9]+\].*recv \(stream_id=[0-9]+\) te:' <<<"$log")"
contains "the pod got :authority h2.org" ":authority: h2.org" "$log"
contains "the pod got x-forwarded-proto http" "x-forwarded-proto: http" "$log"

out=$(timeout 10 nghttp -nv -H ':authority: h2.org' https://127.0.0.1:$tls/file 2>&1)
contains "TLS nghttp: ALPN h2" "The negotiated protocol: h2" "$out"
check "TLS nghttp /file: 200" "200" "$(sed -n 's/.*recv (stream_id=[0-9]*) :status: //p' <<<"$out")"
check "TLS nghttp /file: HEADERS, DATA, then the trailer x-t: 1 in a HEADERS with END_STREAM" \
  "HEADERS DATA x-t:1 HEADERS+ES" "$(frames "$out")"
out=$(timeout 10 nghttp -nv -H ':authority: nocl.org' http://127.0.0.1:$proxy/file 2>&1)
check "h2c nghttp, a pod without Content-Length: HEADERS, DATA, trailer HEADERS with END_STREAM" \
  "HEADERS DATA x-t:1 HEADERS+ES" "$(frames "$out")"
check "the body through nghttp is the file" "$file_sum" \
  "$(timeout 10 nghttp -H ':authority: h2.org' http://127.0.0.1:$proxy/file 2>/dev/null | sum)"
check "h2c curl /missing: the pod's 404 passes" "2 404" \
  "$(h2c -o /dev/null -w '%{http_version} %{http_code}' $P/missing)"

# --- Large bodies and memory --------------------------------------------------------------------
rss_watch_start
out=$(tls2 -o "$workdir/got" -w '%{http_version} %{http_code} %{size_download}' $S/big)
check "TLS curl --http2: 10 MiB download, HTTP/2 200" "2 200 $mib10" "$out"
check "TLS curl --http2: 10 MiB download sha256" "$big_sum" "$(sum < "$workdir/got")"
out=$(h2c -o "$workdir/got" -w '%{http_version} %{http_code} %{size_download}' $P/big)
check "h2c curl: 10 MiB download, HTTP/2 200" "2 200 $mib10" "$out"
check "h2c curl: 10 MiB download sha256" "$big_sum" "$(sum < "$workdir/got")"
head -c $mib50 /dev/urandom > "$workdir/upload"
up_sum=$(sum < "$workdir/upload")
t0=$(date +%s%N)
out=$(h2c --data-binary @"$workdir/upload" -o "$workdir/got" -w '%{http_version} %{http_code} %{size_download}' $P/echo)
echo "h2c 50 MiB echo took $((($(date +%s%N) - t0) / 1000000)) ms"
check "h2c curl: 50 MiB POST echoed, HTTP/2 200" "2 200 $mib50" "$out"
check "h2c curl: 50 MiB echo sha256" "$up_sum" "$(sum < "$workdir/got")"
out=$(tls2 --data-binary @"$workdir/upload" -o "$workdir/got" -w '%{http_version} %{http_code} %{size_download}' $S/echo)
check "TLS curl: 50 MiB POST echoed, HTTP/2 200" "2 200 $mib50" "$out"
check "TLS curl: 50 MiB echo sha256" "$up_sum" "$(sum < "$workdir/got")"
rm -f "$workdir/got"
rss_watch_check 40 peak

# --- Many streams, few upstream connections -----------------------------------------------------
# nghttpd -v prefixes each line of a connection with [id=N]: the ids in the log lines written
# during the run are the connections gatehouse used (2 workers: at most 2 each, one per pod
# address unless the pod's 100 concurrent streams are all taken).
pod_lines=$(wc -l < "$workdir/nghttpd.log")
out=$(timeout 40 h2load -n 5000 -c 2 -m 50 --connect-to=127.0.0.1:$proxy http://h2.org:$proxy/file 2>&1)
check "h2load h2c -n 5000 -c 2 -m 50: all succeeded" \
  "5000 total, 5000 started, 5000 done, 5000 succeeded, 0 failed, 0 errored" \
  "$(sed -n 's/^requests: \(.*errored\).*/\1/p' <<<"$out")"
check "h2load h2c: all 2xx" "5000 2xx, 0 3xx, 0 4xx, 0 5xx" "$(sed -n 's/^status codes: //p' <<<"$out")"
sleep 0.3
log=$(tail -n +$((pod_lines + 1)) "$workdir/nghttpd.log")
used=$(sed -n 's/^\[id=\([0-9]*\)\].*/\1/p' <<<"$log" | sort -un | tr '\n' ' ')
streams=$(grep -cE '^\[id=[0-9]+\].*recv HEADERS frame.*' <<<"$log")
opened=$(grep -cE '^\[id=[0-9]+\].*recv SETTINGS frame <length=[0-9]+, flags=0x00' <<<"$log")
echo "during h2load the pod saw $streams request HEADERS on connections [ ${used}], $opened new (SETTINGS)"
n_used=$(wc -w <<<"$used")
if [ "$n_used" -ge 1 ] && [ "$n_used" -le 4 ]; then echo "ok: 5000 requests on $n_used upstream connection(s) (at most 4)"
else fail "5000 requests on $n_used upstream connections (at most 2 workers x 2)"; fi
check "the pod got the 5000 requests as HEADERS frames" "5000" "$streams"
total=$(grep -cE '^\[id=[0-9]+\].*recv SETTINGS frame <length=[0-9]+, flags=0x00' "$workdir/nghttpd.log")
echo "upstream connections opened to the pod since the start: $total"
out=$(timeout 40 h2load -n 2000 -c 2 -m 50 --connect-to=127.0.0.1:$tls --npn-list=h2 https://h2.org:$tls/file 2>&1)
check "h2load TLS -n 2000 -c 2 -m 50: all 2xx" "2000 2xx, 0 3xx, 0 4xx, 0 5xx" \
  "$(sed -n 's/^status codes: //p' <<<"$out")"

# --- The pod's RST_STREAM reaches the client -----------------------------------------------------
if [ -n "$pod_rst" ]; then
  out=$(timeout 10 nghttp -nv -H ':authority: rst.org' http://127.0.0.1:$proxy/after 2>&1)
  check "a pod's RST_STREAM after HEADERS and DATA: the client gets HEADERS, DATA, RST_STREAM" \
    "HEADERS DATA RST_STREAM" "$(frames "$out")"
  contains "a pod's RST_STREAM: the same error code (INTERNAL_ERROR)" "error_code=INTERNAL_ERROR" \
    "$(grep -A1 'recv RST_STREAM' <<<"$out")"
  out=$(h2c -w '\n%{http_version} %{http_code}' http://rst.org:$proxy/before)
  check "a pod's RST_STREAM before answering: 502" "2 502" "$(tail -1 <<<"$out")"
  echo "its body: $(head -2 <<<"$out" | tr '\n' ' ')"
  out=$(timeout 10 nghttp -nv -H ':authority: rst.org' http://127.0.0.1:$proxy/only 2>&1)
  check "a trailers-only response: one HEADERS with END_STREAM" "HEADERS+ES" "$(frames "$out")"
  check "a trailers-only response: grpc-status and grpc-message in it" "grpc-status: 5 grpc-message: nope" \
    "$(sed -n 's/.*recv (stream_id=[0-9]*) \(grpc-[a-z]*: .*\)/\1/p' <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
  check "after the resets, rst.org's pod connection still serves /after" "HEADERS DATA RST_STREAM" \
    "$(frames "$(timeout 10 nghttp -nv -H ':authority: rst.org' http://127.0.0.1:$proxy/after 2>&1)")"
fi

# --- A client's cancel reaches the pod ----------------------------------------------------------
# Three slow downloads of a long file, each stopped by the client (curl --max-time closes the
# connection): each time the pod must get RST_STREAM(CANCEL) for that stream, and the upstream
# connection must stay up (nghttpd logs "closed" when it goes).
for n in 1 2 3; do
  pod_lines=$(wc -l < "$workdir/nghttpd.log")
  h2c --limit-rate 500K --max-time 1 -o /dev/null $P/huge
  status=$?
  for _ in $(seq 30); do
    tail -n +$((pod_lines + 1)) "$workdir/nghttpd.log" | grep -q 'recv RST_STREAM' && break
    sleep 0.1
  done
  log=$(tail -n +$((pod_lines + 1)) "$workdir/nghttpd.log")
  rst=$(grep -A1 'recv RST_STREAM' <<<"$log" | grep -o 'error_code=[A-Z_]*' | head -1)
  check "cancel $n: a slow h2c download stopped by the client (curl exit 28), RST_STREAM CANCEL at the pod" \
    "28 error_code=CANCEL" "$status $rst"
  if [ -z "$rst" ]; then
    echo "  the pod's log since the request (without DATA and WINDOW_UPDATE lines):"
    grep -vE 'DATA frame|WINDOW_UPDATE|window_size_increment|recv \(stream_id' <<<"$log" | head -20 | sed 's/^/    /'
  fi
done
check "after the cancels: h2c still answered by the pod" "2 200 1000" \
  "$(h2c -o /dev/null -w '%{http_version} %{http_code} %{size_download}' $P/file)"

# --- appProtocol https on a plaintext pod: the handshake fails, said so ------------------------
out=$(h2c -w '\n%{http_version} %{http_code}' http://tls.org:$proxy/file)
check "appProtocol https on a plaintext pod, h2c client: 502" "2 502" "$(tail -1 <<<"$out")"
contains "appProtocol https on a plaintext pod: the 502's body names the handshake" "TLS handshake" "$out"
out=$(h1 -w '\n%{http_version} %{http_code}' http://tls.org:$proxy/file)
check "appProtocol https on a plaintext pod, HTTP/1.1 client: 502" "1.1 502" "$(tail -1 <<<"$out")"
contains "appProtocol https on a plaintext pod, HTTP/1.1: the 502's body names the handshake" \
  "TLS handshake" "$out"
echo "the 502's body: $(head -2 <<<"$out" | tr "\n" " ")"

# --- HTTP/1.1 clients to the h2c pods -----------------------------------------------------------
# (Expected to pass once HTTP/1.1-to-h2c is built; until then these answer 502.)
out=$(h1 -o "$workdir/got" -D "$workdir/head" -w '%{http_version} %{http_code} %{size_download}' $P/big)
check "HTTP/1.1 to the h2c pod: 10 MiB download, 200" "1.1 200 $mib10" "$out"
check "HTTP/1.1 to the h2c pod: 10 MiB sha256" "$big_sum" "$(sum < "$workdir/got")"
check "HTTP/1.1: the pod's Content-Length kept" "content-length: $mib10" \
  "$(grep -i '^content-length:' "$workdir/head" | tr -d '\r' | tr A-Z a-z)"
out=$(h1 -o "$workdir/got" -w '%{http_version} %{http_code} %{size_download}' http://nocl.org:$proxy/big)
check "HTTP/1.1 to a pod without Content-Length: 10 MiB, 200" "1.1 200 $mib10" "$out"
check "HTTP/1.1 to a pod without Content-Length: sha256" "$big_sum" "$(sum < "$workdir/got")"
out=$(h1 -o "$workdir/got" -w '%{http_version} %{http_code} %{size_download}' --data-binary @"$workdir/upload" $P/echo)
check "HTTP/1.1 to the h2c pod: 50 MiB POST echoed, 200" "1.1 200 $mib50" "$out"
check "HTTP/1.1 to the h2c pod: 50 MiB echo sha256" "$up_sum" "$(sum < "$workdir/got")"
rm -f "$workdir/got" "$workdir/upload"
# --raw: the chunked coding as sent, the trailer section after the last chunk.
raw=$(h1 --raw -H 'TE: trailers' -D "$workdir/head" http://nocl.org:$proxy/file | tr -d '\r')
check "HTTP/1.1 TE: trailers, no Content-Length from the pod: chunked" "transfer-encoding: chunked" \
  "$(grep -i '^transfer-encoding:' "$workdir/head" | tr -d '\r' | tr A-Z a-z)"
check "HTTP/1.1 TE: trailers: x-t: 1 after the last chunk" "0 x-t: 1" \
  "$(grep -a -A1 '^0$' <<<"$raw" | tr '\n' ' ' | sed 's/ *$//' | tr A-Z a-z)"
raw=$(h1 --raw http://nocl.org:$proxy/file | tr -d '\r')
check "HTTP/1.1 without TE: trailers: no trailer field after the last chunk" "0" \
  "$(grep -a -A1 '^0$' <<<"$raw" | tr '\n' ' ' | sed 's/ *$//')"

# --- The pod killed -----------------------------------------------------------------------------
# A download in flight when the pod dies ends in an error (never a complete-looking short body);
# new requests get 502/503 at once.
start bash -c "exec timeout 15 curl -s --http2-prior-knowledge --limit-rate 10M ${resolve[*]} -o /dev/null \
  -w '%{http_code} %{size_download}' $P/huge >'$workdir/inflight.out'"
inflight=$last_pid
sleep 1
kill $pod_pid
wait $pod_pid 2>/dev/null
t0=$(date +%s%N)
wait $inflight
status=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ $status -ne 0 ] && [ $status -ne 124 ] && [ $ms -lt 5000 ]; then
  echo "ok: a download in flight when the pod died: curl exit $status after $ms ms ($(cat "$workdir/inflight.out"))"
else fail "a download in flight when the pod died: curl exit $status after $ms ms ($(cat "$workdir/inflight.out"); 0: looked complete, 124: hung)"; fi
t0=$(date +%s%N)
out=$(h2c -o /dev/null -w '%{http_version} %{http_code}' $P/file)
ms=$((($(date +%s%N) - t0) / 1000000))
case "$out" in
  "2 502" | "2 503") echo "ok: the pod gone, h2c: $out after $ms ms" ;;
  *) fail "the pod gone, h2c: [$out] after $ms ms (502 or 503 expected)" ;;
esac
[ $ms -lt 3000 ] && echo "ok: answered within 3 s" || fail "the pod gone: answered after $ms ms"
out=$(h1 -o /dev/null -w '%{http_version} %{http_code}' $P/file)
case "$out" in
  "1.1 502" | "1.1 503") echo "ok: the pod gone, HTTP/1.1: $out" ;;
  *) fail "the pod gone, HTTP/1.1: [$out] (502 or 503 expected)" ;;
esac
check "the other h2c pod still answers" "2 200" "$(h2c -o /dev/null -w '%{http_version} %{http_code}' http://nocl.org:$proxy/file)"

kill -TERM $serve_pid
wait $serve_pid
check "SIGTERM: exit 0" "0" "$?"
[ $failures -ne 0 ] && { echo "serve log (last lines):"; tail -20 "$workdir/serve.log"; }
finish
