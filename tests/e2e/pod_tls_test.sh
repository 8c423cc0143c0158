#!/usr/bin/env bash
# TLS to the pods (Service port appProtocol https, or kubernetes.io/wss), the pods being
# tls_pod.py (Python's ssl), one allowing TLS 1.3 and one at most 1.2. Through gatehouse, from
# HTTP/1.1 (plain and TLS) and HTTP/2 clients: the pod sees TLS with ALPN http/1.1, no server
# name (as ingress-nginx by default), the client's Host and X-Forwarded-Proto; keep-alive
# requests share one pod connection; a connection the pod closed is replaced by one that resumes
# the TLS session; 8 MiB down and up intact (sha256), chunked uploads too; a WebSocket-style
# upgrade to a wss port is tunnelled over TLS both ways. Failures: a plaintext pod behind https
# → 502 naming the handshake; a pod that never answers the handshake → 504 within the connect
# timeout; a killed pod → 502 at once; each leaves the other pods serving.
# usage: pod_tls_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
source "$source_dir/tests/e2e/tls_lib.sh"
py=/usr/bin/python3
c() { timeout 20 curl -s "$@"; }

# --- Pods ---------------------------------------------------------------------------------------
make_cert pod 6001 pod.internal  # pods' certificates are not checked: any will do
make_cert front 6002 front.org
tls13=$(free_port)
start $py "$source_dir/tests/e2e/tls_pod.py" $tls13 "$workdir/pod.pem" "$workdir/pod.key"
tls13_pid=$last_pid
tls12=$(free_port)
start $py "$source_dir/tests/e2e/tls_pod.py" $tls12 "$workdir/pod.pem" "$workdir/pod.key" 1.2
plain=$(free_port)
start "$gatehouse" echo --listen 127.0.0.1:$plain --name plain-pod 2>/dev/null
# silent: accepts TCP connections and never says a word (the handshake cannot finish).
silent=$(free_port)
start $py -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
held = []
while True:
    held.append(s.accept()[0])
' $silent
ports=($tls13 $tls12 $plain $silent)  # start_serve waits for them

mkdir "$workdir/manifests"
m=$workdir/manifests
backend tls13-pod tls13.org $tls13 https front-tls > "$m/tls13.yaml"
backend tls12-pod tls12.org $tls12 https > "$m/tls12.yaml"
backend wss-pod wss.org $tls13 kubernetes.io/wss > "$m/wss.yaml"
backend plain-pod plain.org $plain https > "$m/plain.yaml"
backend silent-pod silent.org $silent https > "$m/silent.yaml"
tls_secret front-tls "$workdir/front.pem" "$workdir/front.key" > "$m/secret-front.yaml"
sed -i 's/tls13.org/front.org/' "$m/tls13.yaml"  # the client-facing host has a certificate

tls=$(free_port)
start_serve --listen-tls 127.0.0.1:$tls --ssl-redirect=false --connect-timeout-ms 1500
wait_port $tls || { cat "$workdir/serve.log"; exit 1; }
echo "gatehouse serve on $proxy and $tls (TLS); TLS pods on $tls13 (1.3) and $tls12 (1.2)"
resolve=(--resolve front.org:$tls:127.0.0.1 --cacert "$workdir/ca.pem")
field() { sed -n "s/^$1=//p" <<<"$2"; }  # field KEY TEXT: the value of line KEY=value

# --- What the pod sees --------------------------------------------------------------------------
for version in 1.3 1.2; do
  if [ $version == 1.3 ]; then host=front.org; else host=tls12.org; fi
  out=$(c -H "Host: $host" $url/info)
  check "TLS $version pod: the pod saw TLSv$version" "TLSv$version" "$(field tls "$out")"
  check "TLS $version pod: ALPN http/1.1" "http/1.1" "$(field alpn "$out")"
  check "TLS $version pod: no server name sent" "None" "$(field sni "$out")"
  check "TLS $version pod: Host is the client's" "$host" "$(field host "$out")"
  check "TLS $version pod: X-Forwarded-Proto of a plain client" "http" "$(field xfp "$out")"

  # Keep-alive: ten requests on one client connection use one pod connection.
  out=$(c -H "Host: $host" $(for i in $(seq 10); do echo $url/info; done))
  check "TLS $version pod: 10 keep-alive requests answered" 10 "$(grep -c '^conn=' <<<"$out")"
  check "TLS $version pod: ... over one pod connection" 1 "$(field conn "$out" | sort -u | wc -l)"

  # The pod closes its connection: the next request opens one that resumes the session.
  out=$(c -H "Host: $host" $url/close $url/info)
  conns=$(field conn "$out" | sort -u | wc -l)
  check "TLS $version pod: after the pod closed, a new connection" 2 "$conns"
  check "TLS $version pod: ... resuming the TLS session" "True" "$(field reused "$out" | tail -1)"
done

out=$(c --http1.1 "${resolve[@]}" https://front.org:$tls/info)
check "HTTPS client → TLS pod: X-Forwarded-Proto https" "https" "$(field xfp "$out")"
out=$(c --http2 "${resolve[@]}" -w 'http=%{http_version}\n' https://front.org:$tls/info)
check "HTTP/2 client → TLS pod: answered over h2" "2" "$(field http "$out")"
check "HTTP/2 client → TLS pod: the pod saw TLS" "TLSv1.3" "$(field tls "$out")"
out=$(c --http2-prior-knowledge -H 'Host: tls12.org' -w 'http=%{http_version}\n' $url/info)
check "h2c client → TLS 1.2 pod" "2 TLSv1.2" "$(field http "$out") $(field tls "$out")"

# --- Bodies both ways ---------------------------------------------------------------------------
sum() { sha256sum | cut -d' ' -f1; }
mib8=$((8 * 1024 * 1024))
expected=$($py -c "import sys; sys.stdout.buffer.write((bytes(range(256)) * 256 * 128)[:$mib8])" | sum)
check "8 MiB download from the TLS pod, HTTP/1.1" "$expected" "$(c -H 'Host: tls12.org' $url/bytes/$mib8 | sum)"
check "8 MiB download from the TLS pod, HTTP/2" "$expected" \
  "$(c --http2 "${resolve[@]}" https://front.org:$tls/bytes/$mib8 | sum)"
head -c $mib8 /dev/urandom > "$workdir/up"
up_sum=$(sum < "$workdir/up")
check "8 MiB upload echoed by the TLS pod, Content-Length" "$up_sum" \
  "$(c -H 'Host: tls12.org' --data-binary @"$workdir/up" $url/echo | sum)"
check "8 MiB upload echoed by the TLS pod, chunked" "$up_sum" \
  "$(c -H 'Host: tls12.org' -H 'Transfer-Encoding: chunked' --data-binary @"$workdir/up" $url/echo | sum)"
check "8 MiB upload echoed by the TLS pod, from HTTP/2" "$up_sum" \
  "$(c --http2 "${resolve[@]}" --data-binary @"$workdir/up" https://front.org:$tls/echo | sum)"

# --- WebSocket-style upgrade to a wss port ------------------------------------------------------
out=$(timeout 10 $py -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /ws HTTP/1.1\r\nHost: wss.org\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head:
    data = s.recv(4096)
    if not data:
        break
    head += data
print(head.split(b"\r\n")[0].decode())
for word in (b"hello", b"over", b"tls"):
    s.sendall(word)
    got = b""
    while len(got) < len(word):
        data = s.recv(4096)
        if not data:
            break
        got += data
    print(got.decode())
' $proxy 2>&1 | tr -d '\r' | tr '\n' ' ')
check "upgrade to a wss pod: 101, then bytes echoed over TLS" "HTTP/1.1 101 Switching Protocols hello over tls " "$out"

# --- Failures -----------------------------------------------------------------------------------
out=$(c -H 'Host: plain.org' -w '\n%{http_code}' $url/a)
check "plaintext pod behind appProtocol https: 502" "502" "$(tail -1 <<<"$out")"
contains "... the 502 names the TLS handshake" "TLS handshake" "$out"
start_ns=$(date +%s%N)
out=$(c -H 'Host: silent.org' -w '\n%{http_code}' $url/a)
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
check "pod that never answers the handshake: 504" "504" "$(tail -1 <<<"$out")"
if [ $elapsed_ms -ge 1300 ] && [ $elapsed_ms -lt 8000 ]; then
  echo "ok: ... after the connect timeout (${elapsed_ms} ms, timeout 1500 ms)"
else
  fail "the silent pod's 504 came after ${elapsed_ms} ms (timeout 1500 ms)"
fi
check "the TLS 1.3 pod still serves" "TLSv1.3" "$(field tls "$(c -H 'Host: front.org' $url/info)")"
kill $tls13_pid; wait $tls13_pid 2>/dev/null
out=$(c -H 'Host: front.org' -w '%{http_code} %{time_total}' -o /dev/null $url/info)
check "TLS pod killed: 502" "502" "${out% *}"
check "... at once (under 2 s)" "yes" "$(awk -v t="${out#* }" 'BEGIN { print (t < 2 ? "yes" : "no") }')"
check "the TLS 1.2 pod still serves" "TLSv1.2" "$(field tls "$(c -H 'Host: tls12.org' $url/info)")"
kill -0 $serve_pid 2>/dev/null || fail "gatehouse serve exited"
finish
