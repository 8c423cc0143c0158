#!/usr/bin/env bash
# gatehouse serve with real clients (curl, raw sockets) and echo backends: the routing table r1–r4
# carried as traffic, the defaults, failures, framing, smuggling refusals, reload and shutdown.
# usage: proxy_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)

start_foobar_pods
mkdir "$workdir/manifests"
foobar_manifest "${ports[@]}" > "$workdir/manifests/foobar.yaml"
admin=$(free_port)
start_serve --admin-listen 127.0.0.1:$admin --header-timeout-ms 1000
c() { timeout 10 curl -s "$@"; }

# The talk's table, request by request: each reaches the pod its rule names, and only that one.
check "r1 foo.org /a" "name=foo-a" "$(c -H 'Host: foo.org' $url/a | head -1)"
check "r2 foo.org /b" "name=foo-b" "$(c -H 'Host: foo.org' $url/b | head -1)"
check "r3 bar.org /a" "name=bar-a" "$(c -H 'Host: bar.org' $url/a | head -1)"
check "r4 bar.org /b" "name=bar-b" "$(c -H 'Host: BAR.org:80' $url/b/deeper?x=1 | head -1)"
check "no rule: 404" "404" "$(c -o /dev/null -w '%{http_code}' -H 'Host: baz.org' $url/a)"
check "no path of foo.org: 404" "404" "$(c -o /dev/null -w '%{http_code}' -H 'Host: foo.org' $url/c)"
check "readyz" "ready" "$(c http://127.0.0.1:$admin/readyz)"

# What the pod sees: the normalized path, the query untouched, Host as sent, X-Forwarded-*.
body=$(c -H 'Host: foo.org' "$url/x/../a/%62/./c?q=/../z")
contains "path normalized, query kept" "target=/a/b/c?q=/../z" "$body"
contains "Host kept" "header: Host: foo.org" "$body"
contains "X-Forwarded-For" "header: X-Forwarded-For: 127.0.0.1" "$body"
contains "X-Forwarded-Proto" "header: X-Forwarded-Proto: http" "$body"
contains "X-Forwarded-Port" "header: X-Forwarded-Port: $proxy" "$body"
contains "X-Request-ID" "header: X-Request-ID: " "$body"
body=$(c -H 'Host: foo.org' -H 'X-Forwarded-For: 10.9.9.9' -H 'Connection: keep-alive, X-Secret' \
  -H 'X-Secret: s' -H 'X-Forwarded-Proto: https' $url/a)
# The client's X-Forwarded-For is not believed (no --trust-forwarded-from): as ingress-nginx,
# the pod gets the TCP peer, and the client's value as X-Original-Forwarded-For.
check "X-Forwarded-For is the peer, not the client's claim" "header: X-Forwarded-For: 127.0.0.1" \
  "$(grep '^header: X-Forwarded-For:' <<<"$body")"
contains "X-Real-IP is the peer" "header: X-Real-IP: 127.0.0.1" "$body"
contains "the client's claim moves to X-Original-Forwarded-For" \
  "header: X-Original-Forwarded-For: 10.9.9.9" "$body"
if grep -q "X-Secret\|X-Forwarded-Proto: https" <<<"$body"; then
  fail "hop-by-hop or spoofed header reached the pod"; else echo "ok: hop-by-hop removed"; fi
check "dot-segments cannot escape to another rule" "404" \
  "$(c -o /dev/null -w '%{http_code}' -H 'Host: foo.org' --path-as-is "$url/a/../../c")"
check "absolute-form routes by its authority" "name=bar-a" \
  "$(printf 'GET http://bar.org/a HTTP/1.1\r\nHost: foo.org\r\nConnection: close\r\n\r\n' |
     timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$proxy; cat >&3; cat <&3" | grep -a '^name=')"

# Keep-alive and pipelining: one connection, answers in order.
check "keep-alive: the second request reuses the connection" "10" \
  "$(c -o /dev/null -o /dev/null -w '%{num_connects}' -H 'Host: foo.org' $url/a $url/b)"
answers=$(printf 'GET /a HTTP/1.1\r\nHost: foo.org\r\n\r\nGET /b HTTP/1.1\r\nHost: foo.org\r\n\r\nGET /a HTTP/1.1\r\nHost: bar.org\r\nConnection: close\r\n\r\n' |
  timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$proxy; cat >&3; cat <&3" | grep -a '^name=' | tr '\n' ' ')
check "pipelined requests answered in order" "name=foo-a name=foo-b name=bar-a " "$answers"
# gatehouse's own answers to HEAD carry no body: the next pipelined response follows the head.
answers=$(printf 'HEAD /nowhere HTTP/1.1\r\nHost: nothing.org\r\n\r\nGET /a HTTP/1.1\r\nHost: foo.org\r\nConnection: close\r\n\r\n' |
  timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$proxy; cat >&3; cat <&3" | tr -d '\r' | grep -a '^HTTP/\|^name=\|^404 ' | tr '\n' ' ')
check "HEAD answered 404 by gatehouse: no body, then the next response" \
  "HTTP/1.1 404 Not Found HTTP/1.1 200 OK name=foo-a " "$answers"
check "HTTP/1.0 client" "name=foo-a" "$(c --http1.0 -H 'Host: foo.org' $url/a | head -1)"

# Bodies both ways: Content-Length, chunked, 100-continue, large downloads.
head -c 3000000 /dev/urandom > "$workdir/upload"
contains "3 MB upload (Content-Length, 100-continue)" "body_bytes=3000000" \
  "$(c -H 'Host: foo.org' --data-binary @"$workdir/upload" $url/a)"
contains "chunked upload" "body_bytes=3000000" \
  "$(c -H 'Host: foo.org' -H 'Transfer-Encoding: chunked' --data-binary @"$workdir/upload" $url/a)"
check "64 KiB download" "65536" "$(c -o /dev/null -w '%{size_download}' -H 'Host: foo.org' $url/a/bytes/65536)"
check "chunked 1 MB download" "1000000" \
  "$(c -o /dev/null -w '%{size_download}' -H 'Host: foo.org' "$url/a/bytes/1000000?chunked=1")"
check "chunked download to an HTTP/1.0 client" "100000" \
  "$(c --http1.0 -o /dev/null -w '%{size_download}' -H 'Host: foo.org' "$url/a/bytes/100000?chunked=1")"
check "HEAD" "200" "$(c -I -o /dev/null -w '%{http_code}' -H 'Host: foo.org' $url/a/bytes/100)"

# Request smuggling shapes: 400, connection closed.
smuggle() {  # smuggle NAME RAW-REQUEST
  local out
  out=$(printf "$2" | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$proxy; cat >&3; cat <&3" | head -1 | tr -d '\r')
  check "refused: $1" "HTTP/1.1 400 Bad Request" "$out"
}
smuggle "CL and TE" 'POST /a HTTP/1.1\r\nHost: foo.org\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
smuggle "differing CLs" 'POST /a HTTP/1.1\r\nHost: foo.org\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde'
smuggle "obs-fold" 'GET /a HTTP/1.1\r\nHost: foo.org\r\nX: a\r\n b\r\n\r\n'
smuggle "bare LF" 'GET /a HTTP/1.1\nHost: foo.org\r\n\r\n'
smuggle "space before colon" 'GET /a HTTP/1.1\r\nHost : foo.org\r\n\r\n'
smuggle "TE not chunked last" 'POST /a HTTP/1.1\r\nHost: foo.org\r\nTransfer-Encoding: chunked, identity\r\n\r\n'
smuggle "missing Host" 'GET /a HTTP/1.1\r\n\r\n'
smuggle "two Hosts" 'GET /a HTTP/1.1\r\nHost: foo.org\r\nHost: bar.org\r\n\r\n'
check "header too large: 431" "431" \
  "$(c -o /dev/null -w '%{http_code}' -H 'Host: foo.org' -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" $url/a)"

# The body may overwrite the head's bytes in the input buffer: the response framing must still
# follow the request's real method (a body starting with "HEAD" once made a POST look like HEAD).
out=$( { printf 'POST /a HTTP/1.1\r\nHost: foo.org\r\nContent-Length: 8\r\nConnection: close\r\n\r\n'
         sleep 0.3; printf 'HEADxxxx'; sleep 1; } |
       timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$proxy 4<&0; cat <&4 >&3 & cat <&3" | grep -a '^body_bytes=' | tr -d '\r')
check "a body that starts with HEAD does not change the response framing" "body_bytes=8" "$out"
# Only WebSocket upgrades are tunnelled; h2c would bypass the path rules.
body=$(c -H 'Host: foo.org' -H 'Connection: Upgrade' -H 'Upgrade: h2c' $url/a)
check "Upgrade: h2c is not forwarded" "name=foo-a" "$(head -1 <<<"$body")"
if grep -q "header: Upgrade" <<<"$body"; then fail "the h2c Upgrade header reached the pod"; else echo "ok: h2c Upgrade header dropped"; fi
# A malformed request body is refused at once, not after the pod's header timeout.
start_ns=$(date +%s%N)
out=$(printf 'POST /a HTTP/1.1\r\nHost: foo.org\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n' |
      timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$proxy; cat >&3; cat <&3" | head -1 | tr -d '\r')
elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
check "malformed chunked body: 400" "HTTP/1.1 400 Bad Request" "$out"
if [ $elapsed_ms -lt 900 ]; then echo "ok: answered in ${elapsed_ms} ms"; else fail "malformed body answered after ${elapsed_ms} ms"; fi

# Failures upstream: 502 for a dead pod, 504 for a slow one, a clean error for one dying mid-body.
check "slow pod: 504" "504" "$(c -o /dev/null -w '%{http_code}' -H 'Host: foo.org' $url/a/delay/3000)"
c -o /dev/null -H 'Host: foo.org' $url/a/abort
check "pod dies mid-response: curl sees a transfer error, not a hang" "18" "$?"
kill "${started_pids[3]}"; wait "${started_pids[3]}" 2>/dev/null
check "dead pod: 502" "502" "$(c -o /dev/null -w '%{http_code}' -H 'Host: bar.org' $url/b)"
# The pod comes back on the same address: pooled connections to its old process are stale; a
# request without a body is sent again on a new connection rather than failing. A one-worker
# serve, so that the second request surely meets the connection the first one left in the pool.
start "$gatehouse" echo --listen 127.0.0.1:${ports[3]} --name bar-b 2>/dev/null
pod_pid=$last_pid
wait_port ${ports[3]}
check "pod back: 200" "name=bar-b" "$(c -H 'Host: bar.org' $url/b | head -1)"
single=$(free_port)
start "$gatehouse" serve -m "$workdir/manifests" --listen 127.0.0.1:$single --workers 1 \
  2>"$workdir/serve-single.log"
single_pid=$last_pid
wait_port $single
check "one worker: pooled after a first request" "name=bar-b" \
  "$(c -H 'Host: bar.org' http://127.0.0.1:$single/b | head -1)"
kill $pod_pid; wait $pod_pid 2>/dev/null
start "$gatehouse" echo --listen 127.0.0.1:${ports[3]} --name bar-b2 2>/dev/null
wait_port ${ports[3]}
check "stale pooled connection: the request is resent" "name=bar-b2" \
  "$(c -H 'Host: bar.org' http://127.0.0.1:$single/b | head -1)"
check "the other serve also reaches the new pod" "name=bar-b2" "$(c -H 'Host: bar.org' $url/b | head -1)"
# More connections queued at once than a worker takes per wake-up (8): every one is answered,
# none waits for a later connection to wake the worker. The serve is stopped while they queue.
kill -STOP $single_pid
burst=()
for i in $(seq 20); do
  c -o /dev/null -w '%{http_code}\n' -H 'Host: foo.org' http://127.0.0.1:$single/a >> "$workdir/burst" &
  burst+=($!)
done
sleep 0.5
kill -CONT $single_pid
wait "${burst[@]}"
check "20 connections queued at once: all answered" "20" "$(grep -c '^200$' "$workdir/burst")"
kill $single_pid; wait $single_pid 2>/dev/null

# Live reconfiguration: a new rule answers after the file changes; a broken file keeps the old.
sed -i 's#- path: /b$#- path: /c#' "$workdir/manifests/foobar.yaml"
for _ in $(seq 50); do
  [ "$(c -o /dev/null -w '%{http_code}' -H 'Host: foo.org' $url/c)" == 200 ] && break; sleep 0.1
done
check "reload: new path answers" "name=foo-b" "$(c -H 'Host: foo.org' $url/c | head -1)"
check "reload: old path gone" "404" "$(c -o /dev/null -w '%{http_code}' -H 'Host: foo.org' $url/b)"
printf 'kind: [unclosed\n' > "$workdir/manifests/broken.yaml"
sleep 0.5
check "a broken manifest keeps the last good table" "name=foo-a" "$(c -H 'Host: foo.org' $url/a | head -1)"
contains "the broken manifest is logged" "broken.yaml" "$(cat "$workdir/serve.log")"

# Graceful shutdown: a request in flight finishes, then exit 0.
c -o "$workdir/slow" -H 'Host: foo.org' $url/a/delay/500 &
slow=$!
sleep 0.2
kill -TERM $serve_pid
sleep 0.1
check "draining: /readyz turns 503" "503" "$(c -o /dev/null -w '%{http_code}' http://127.0.0.1:$admin/readyz)"
wait $serve_pid
check "SIGTERM: exit 0" "0" "$?"
wait $slow
contains "SIGTERM: the in-flight request finished" "name=foo-a" "$(cat "$workdir/slow")"
finish
