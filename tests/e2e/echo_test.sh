#!/usr/bin/env bash
# `gatehouse echo`, the tests' backend, checked with real clients (curl, bash /dev/tcp) on loopback.
# usage: echo_test.sh GATEHOUSE_BINARY
set -uo pipefail
gatehouse=$1
work=$(mktemp -d /tmp/gatehouse-echo-test.XXXXXX)
pid=
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_line() {  # expect_line OUTPUT REGEX WHAT
  grep -Eq -- "$2" <<<"$1" || fail "$3: no line matches /$2/ in:"$'\n'"$1"
}
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the server picks a free port and names it on stderr ("listening on 127.0.0.1:PORT").
"$gatehouse" echo --listen 127.0.0.1:0 --name e2e 2>"$work/server.log" &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$work/server.log" | sed 's/.*://')
  [ -n "$port" ] && break
  sleep 0.05
done
if [ -z "$port" ]; then
  echo "FAIL: the echo server did not start:"
  cat "$work/server.log"
  exit 1
fi
base="http://127.0.0.1:$port"
c() { timeout 20 curl -sS "$@"; }

# A GET: the body lines, the request's headers in order, X-Echo-Name.
out=$(c -i -H 'X-Test: one' -H 'X-Other: two' "$base/a?x=1")
expect_line "$out" $'^HTTP/1.1 200 OK\r$' "status line"
expect_line "$out" $'^X-Echo-Name: e2e\r$' "X-Echo-Name"
expect_line "$out" '^name=e2e$' "name"
expect_line "$out" '^method=GET$' "method"
expect_line "$out" '^target=/a\?x=1$' "target as received"
expect_line "$out" '^version=HTTP/1\.1$' "version"
expect_line "$out" '^body_bytes=0$' "body_bytes"
expect_line "$out" "^header: Host: 127\\.0\\.0\\.1:$port\$" "Host header line"
order=$(grep -E '^header: X-(Test|Other)' <<<"$out" | tr '\n' '|')
[ "$order" = "header: X-Test: one|header: X-Other: two|" ] || fail "header order: $order"

# Keep-alive: two URLs in one curl command share one connection.
out=$(c -o /dev/null -o /dev/null -w '%{num_connects}\n' "$base/one" "$base/two")
[ "$(tr -d '\n' <<<"$out")" = "10" ] || fail "keep-alive: connects per request $(tr '\n' ' ' <<<"$out")"

# A 3 MB chunked upload: counted, and curl's Expect: 100-continue answered (curl -v shows it).
head -c 3000000 /dev/urandom >"$work/upload.bin"
out=$(c -v -H 'Transfer-Encoding: chunked' --data-binary @"$work/upload.bin" "$base/up" \
  2>"$work/curl.err")
expect_line "$out" '^body_bytes=3000000$' "chunked upload size"
expect_line "$out" '^method=POST$' "POST method"
expect_line "$(cat "$work/curl.err")" '^< HTTP/1.1 100 Continue' "100 Continue for a chunked body"

# Content-Length body with an explicit Expect.
out=$(c -v -H 'Expect: 100-continue' --data-binary @"$work/upload.bin" "$base/up" \
  2>"$work/curl.err")
expect_line "$out" '^body_bytes=3000000$' "Content-Length upload size"
expect_line "$(cat "$work/curl.err")" '^< HTTP/1.1 100 Continue' "100 Continue for a sized body"

# /bytes/N, also under a routed prefix and chunked.
out=$(c -o /dev/null -w '%{http_code} %{size_download}' "$base/bytes/65536")
[ "$out" = "200 65536" ] || fail "/bytes/65536 gave $out"
out=$(c -o /dev/null -w '%{size_download}' "$base/a/b/bytes/300000")
[ "$out" = "300000" ] || fail "/a/b/bytes/300000 gave $out"
out=$(c -D "$work/headers" -o /dev/null -w '%{size_download}' "$base/a/bytes/200000?chunked=1")
[ "$out" = "200000" ] || fail "chunked /bytes gave $out"
expect_line "$(cat "$work/headers")" '^Transfer-Encoding: chunked' "chunked /bytes framing"

# /status/NNN, /hello, /delay/MS.
out=$(c -o /dev/null -w '%{http_code}' "$base/status/503")
[ "$out" = "503" ] || fail "/status/503 gave $out"
out=$(c -i "$base/x/status/204")
expect_line "$out" '^HTTP/1.1 204 No Content' "/status/204"
grep -q '^name=' <<<"$out" && fail "/status/204 has a body"
out=$(c "$base/hello")
[ "$out" = "hello" ] || fail "/hello gave $out"
out=$(c -o /dev/null -w '%{http_code} %{time_total}' "$base/delay/300")
awk '{ exit !($1 == 200 && $2 >= 0.29) }' <<<"$out" || fail "/delay/300 gave $out"

# /abort: the body is cut short, curl reports a partial transfer (18).
c -o /dev/null "$base/abort" 2>/dev/null
status=$?
[ $status -eq 18 ] || fail "/abort: curl exited $status, want 18"

# HTTP/1.0: the connection closes after the response.
out=$(c -0 -i "$base/old")
expect_line "$out" '^version=HTTP/1\.0$' "HTTP/1.0 version line"
expect_line "$out" $'^Connection: close\r$' "HTTP/1.0 closes"

# Raw bytes: a bad request gets 400; pipelined requests are answered in order.
raw() {  # raw BYTES: send them, print what comes back within a second
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "$2" >&3; timeout 1 cat <&3' _ \
    "$port" "$1"
}
out=$(raw 'BAD REQUEST\r\n\r\n')
expect_line "$out" '^HTTP/1.1 400 Bad Request' "bad request"
out=$(raw 'GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\nGET /p3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
order=$(grep -E '^target=' <<<"$out" | tr '\n' ' ')
[ "$order" = "target=/p1 target=/p2 target=/p3 " ] || fail "pipelining order: $order"
out=$(raw 'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
expect_line "$out" '^body_bytes=5$' "chunked body with trailer"
expect_line "$out" '^target=/after$' "request after a chunked body"

# Upgrade: 101 with the same protocol, then the bytes come back.
out=$(raw 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nping-pong')
expect_line "$out" '^HTTP/1.1 101 Switching Protocols' "upgrade status"
expect_line "$out" $'^Upgrade: websocket\r$' "upgrade protocol"
expect_line "$out" 'ping-pong' "tunnel echo"

# SIGTERM: a request in flight still completes, then the server exits 0.
c -o "$work/delayed" -w '%{http_code}' "$base/delay/700" >"$work/delayed.code" &
client=$!
sleep 0.3
kill -TERM "$pid"
wait "$client"
[ "$(cat "$work/delayed.code")" = "200" ] || fail "in-flight request at SIGTERM: $(cat "$work/delayed.code")"
timeout 10 tail --pid="$pid" -f /dev/null
wait "$pid"
status=$?
pid=
[ $status -eq 0 ] || fail "SIGTERM: the server exited $status, want 0"

if [ $failures -ne 0 ]; then
  echo "$failures failure(s); server log:"
  cat "$work/server.log"
  exit 1
fi
echo "echo e2e: all passed"
