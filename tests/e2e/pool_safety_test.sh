#!/usr/bin/env bash
# A client never receives another client's response, whatever a pod sends (docs/decisions/0011).
# The pods (misbehaving_pod.py) send bytes after their responses on purpose: 10 ms late on an
# idle pooled connection, in the same write, a body on a 204 and on a HEAD reply, a Content-Length
# shorter than the body, Content-Length beside chunked; an h2c pod sends DATA after END_STREAM.
# From HTTP/1.1 clients (curl) and HTTP/2 clients (curl --http2-prior-knowledge), through one
# worker, so every request may reuse the pod connection the one before left in the pool. Then
# request framing (Content-Length "5, 5" and two equal lines reach the pod as one value), and a
# seeded property run (pool_property.py): random faults, concurrent clients, no client ever reads
# another's answer or a stray byte.
# usage: pool_safety_test.sh GATEHOUSE_BINARY SOURCE_DIR [SEED]
set -uo pipefail
gatehouse=$1
source_dir=$2
seed=${3:-$RANDOM}
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
require_python_h2
c() { timeout 10 curl -s "$@"; }

pod=$(free_port)
start $py "$source_dir/tests/e2e/misbehaving_pod.py" h1 $pod
h2c_pod=$(free_port)
while [ "$h2c_pod" == "$pod" ]; do h2c_pod=$(free_port); done
start $py "$source_dir/tests/e2e/misbehaving_pod.py" h2c $h2c_pod
ports=($pod $h2c_pod)
mkdir "$workdir/manifests"
backend pod pod.local $pod http > "$workdir/manifests/pod.yaml"
backend h2c h2c.local $h2c_pod kubernetes.io/h2c > "$workdir/manifests/h2c.yaml"
serve_workers=1 start_serve
sleep 0.3

# The body of the response a client gets for PATH, with curl options before it.
get() {  # get CURL_OPTION... PATH
  local path=${*: -1}
  c -H 'Host: pod.local' "${@:1:$#-1}" "$url$path"
}

for client in http1 http2; do
  opt=--http1.1
  [ $client == http2 ] && opt=--http2-prior-knowledge
  # The issue's trio: alice's pod connection receives a stray response 10 ms after her answer,
  # while it sits idle in the pool; bob and carol must still get their own answers.
  alice=$(get $opt /stray/alice-private)
  sleep 0.1
  bob=$(get $opt /bob-private)
  carol=$(get $opt /carol-private)
  contains "$client: alice gets her answer" "answer for /stray/alice-private" "$alice"
  contains "$client: bob gets his answer, not the stray bytes" "answer for /bob-private" "$bob"
  contains "$client: carol gets hers, not bob's" "answer for /carol-private" "$carol"
  for fault in extra 204 shortcl both; do
    first=$(get $opt /$fault/one-$client)
    next=$(get $opt /after-$fault-$client)
    contains "$client: after /$fault the next client gets its own answer" \
      "answer for /after-$fault-$client" "$next"
    case "$next$first" in *STRAY*) fail "$client: /$fault: stray bytes reached a client";; esac
  done
  # A body after a HEAD reply.
  head=$(c -o /dev/null -w '%{http_code}' -I -H 'Host: pod.local' $opt "$url/head/$client")
  check "$client: HEAD answered" 200 "$head"
  next=$(get $opt /after-head-$client)
  contains "$client: after a HEAD reply with a body, the next answer is its own" \
    "answer for /after-head-$client" "$next"
  # Content-Length beside chunked: the body is read as chunked, the length is not forwarded.
  headers=$(c -D - -o "$workdir/both.body" -H 'Host: pod.local' $opt "$url/both/framing-$client")
  contains "$client: Content-Length and chunked: the chunked body arrives whole" \
    "answer for /both/framing-$client" "$(cat "$workdir/both.body")"
  case "${headers,,}" in
    *"content-length: 3"*) fail "$client: the pod's Content-Length beside chunked was forwarded";;
    *) echo "ok: $client: the pod's Content-Length beside chunked is dropped";;
  esac
  conn_before=$(get $opt /plain-$client | sed -n 's/^conn=//p')
  conn_after=$(get $opt /plain2-$client | sed -n 's/^conn=//p')
  # (the h2 connection reuses a pooled pod connection between the two plain requests)
  check "$client: a clean response leaves its pod connection reusable" "$conn_before" "$conn_after"
  both_conn=$(get $opt /both/reuse-$client | sed -n 's/^conn=//p')
  after_conn=$(get $opt /plain3-$client | sed -n 's/^conn=//p')
  [ "$both_conn" != "$after_conn" ] && echo "ok: $client: the connection that carried CL+TE is not reused" ||
    fail "$client: the connection that carried Content-Length and chunked was reused ($both_conn)"
done

# Request framing: one Content-Length value reaches the pod, however the client repeated it.
raw() {  # raw BYTES: sends them on a new connection, prints what comes back (2 s at most)
  exec 3<>/dev/tcp/127.0.0.1/$proxy
  printf "$1" >&3
  timeout 2 cat <&3 | tr -d '\r'
  exec 3<&-
}
for framing in 'Content-Length: 5, 5' 'Content-Length: 5'; do
  got=$(raw "POST /framing HTTP/1.1\r\nHost: pod.local\r\n$framing\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
  check "request '$framing' + 'Content-Length: 5': one value reaches the pod" "cl=5" \
    "$(grep '^cl=' <<<"$got")"
  contains "request '$framing': the body arrives" "body=hello" "$got"
done
got=$(raw 'POST /framing HTTP/1.1\r\nHost: pod.local\r\nContent-Length: 5, 6\r\nConnection: close\r\n\r\nhello' | head -1)
check "differing Content-Length values are refused" "HTTP/1.1 400 Bad Request" "$got"

# h2c pod: DATA after END_STREAM retires the connection; the next request takes a new one.
h2get() { c --http2-prior-knowledge -H 'Host: h2c.local' "$url$1"; }
first=$(h2get /first | sed -n 's/^conn=//p')
again=$(h2get /again | sed -n 's/^conn=//p')
check "h2c pod: a well-behaved connection is reused" "$first" "$again"
bad=$(h2get /data-after-end/x | sed -n 's/^conn=//p')
sleep 0.2
after=$(h2get /after-data | sed -n 's/^conn=//p')
[ -n "$after" ] && [ "$after" != "$bad" ] &&
  echo "ok: h2c pod: DATA after END_STREAM retires the connection (conn $bad, then $after)" ||
  fail "h2c pod: the connection that sent DATA after END_STREAM was used again (conn $bad, then ${after:-none})"
h1h2c=$(c -H 'Host: h2c.local' "$url/after-data-h1")
contains "h2c pod from an HTTP/1.1 client: answered" "answer for /after-data-h1" "$h1h2c"

# The property: random faults, concurrent keep-alive clients over both protocols.
timeout 60 $py "$source_dir/tests/e2e/pool_property.py" 127.0.0.1 $proxy pod.local "$seed" ||
  fail "pool property (seed $seed): see above"
kill -0 $serve_pid 2>/dev/null && echo "ok: serve still running" || fail "serve died"
finish
