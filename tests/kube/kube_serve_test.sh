#!/usr/bin/env bash
# gatehouse serve --kubeconfig against the fake API server (tests/kube/fake_apiserver.py): the
# foobar objects served r1-r4 once synced (and not before), then every kind of change the API
# server can make reflected in routing within 1 s — an Ingress path, an EndpointSlice scaled, a
# Service deleted — and every kind of trouble survived: watches dropped (resumed from their
# resourceVersion, no relist), history compacted (410 Expired: relist), the token rotated, 429
# with Retry-After, the API server frozen for 3 s. Meanwhile a client keeps requesting an
# unchanged rule: none may fail.
# usage: kube_serve_test.sh GATEHOUSE_BINARY SOURCE_DIR   (exit 77: skipped, a tool is missing)
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
source "$source_dir/tests/kube/lib.sh"
require_tools python3 openssl curl
workdir=$(mktemp -d /tmp/gatehouse-kube-e2e.XXXXXX)

start_foobar_pods "$workdir/echo.log"
extra_port=$(free_port)
start "$gatehouse" echo --listen 127.0.0.1:$extra_port --name foo-b2 2>>"$workdir/echo.log"
start_fake_apiserver
objects() { python3 "$source_dir/tests/kube/foobar_objects.py" "${ports[@]}" "$@"; }
put_objects "$(objects)"
stat() {  # stat PYTHON-EXPRESSION over the fake's /fake/stats as `s`
  hook GET /fake/stats | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"
}
lists() { stat 'sum(s["requests"].get("list", {}).values())'; }

# The first two requests to the API server fail with 503 and Retry-After: 3. Backoff alone
# would retry within 1.6 s; honouring Retry-After means no sync before 3 s.
hook POST '/fake/fail?status=503&count=2&retry-after=3' >/dev/null
proxy=$(free_port)
admin=$(free_port)
url=http://127.0.0.1:$proxy
started=$(date +%s%N)
start "$gatehouse" serve --kubeconfig "$workdir/kubeconfig" --listen 127.0.0.1:$proxy \
  --admin-listen 127.0.0.1:$admin --workers 2 2>"$workdir/serve.log"
serve_pid=$last_pid
wait_port $admin || { cat "$workdir/serve.log"; exit 1; }
check "not ready before the first full sync" 503 \
  "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:$admin/readyz)"
wait_port $proxy
check "and nothing is routed from a half-synced store: 503" 503 \
  "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Host: foo.org' $url/a)"
for _ in $(seq 200); do
  [ "$(curl -s --max-time 2 http://127.0.0.1:$admin/readyz)" = ready ] && break
  sleep 0.05
done
synced_ms=$((($(date +%s%N) - started) / 1000000))
check "ready after the first full sync" ready "$(curl -s --max-time 2 http://127.0.0.1:$admin/readyz)"
if [ $synced_ms -ge 2900 ]; then echo "ok: Retry-After honoured (synced after $synced_ms ms)"
else fail "synced after $synced_ms ms: Retry-After 3 s was not honoured"; fi

route() {  # route HOST PATH: "CODE NAME" of one request
  local out
  out=$(curl -s --max-time 5 -w '\n%{http_code}' -H "Host: $1" "$url$2")
  echo "$(tail -1 <<<"$out") $(sed -n 's/^name=//p' <<<"$out" | head -1)"
}
check "r1 foo.org /a -> foo-a" "200 foo-a" "$(route foo.org /a)"
check "r2 foo.org /b -> foo-b" "200 foo-b" "$(route foo.org /b)"
check "r3 bar.org /a -> bar-a" "200 bar-a" "$(route bar.org /a)"
check "r4 bar.org /b -> bar-b" "200 bar-b" "$(route bar.org /b)"

# within_1s WHAT WANT HOST PATH: the route answers WANT within 1 s of now.
within_1s() {
  local t0 got
  t0=$(date +%s%N)
  while :; do
    got=$(route "$3" "$4")
    [ "$got" = "$2" ] && { echo "ok: $1 ($((($(date +%s%N) - t0) / 1000000)) ms)"; return; }
    [ $(($(date +%s%N) - t0)) -gt 1000000000 ] && { fail "$1: want [$2] within 1 s, got [$got]"; return; }
    sleep 0.02
  done
}

# A client that keeps asking for r3, which no change below touches.
: >"$workdir/load"
(
  while [ ! -e "$workdir/stop" ]; do
    curl -s --max-time 5 -w '%{http_code}\n' -H 'Host: bar.org' -o /dev/null "$url/a/x" \
      -o /dev/null "$url/a/y" -o /dev/null "$url/a/z" >>"$workdir/load"
  done
) &
load_pid=$!

put_objects "$(objects --foo-a-path /c)"
within_1s "an Ingress path changed: foo.org /c now reaches foo-a" "200 foo-a" foo.org /c
check "and foo.org /a is the default backend's 404" "404 " "$(route foo.org /a)"

put_objects "$(objects --foo-a-path /c --foo-b-extra-port $extra_port)"
seen=""
t0=$(date +%s%N)
while [ $(($(date +%s%N) - t0)) -lt 1000000000 ]; do
  seen+=" $(route foo.org /b)"
  grep -q foo-b2 <<<"$seen" && break
done
contains "an EndpointSlice added to foo-b: its pod is used within 1 s" "200 foo-b2" "$seen"

api DELETE /api/v1/namespaces/default/services/bar-b >/dev/null
within_1s "Service bar-b deleted: r4 answers 503" "503 " bar.org /b

# Each watch has had a bookmark (the fake sends one a second): they are healthy, and a healthy
# watch that breaks is resumed at once (a second break without any event would back off).
sleep 1.2
lists_before=$(lists)
hook POST /fake/drop-watches >/dev/null
sleep 0.2
put_objects "$(objects --foo-a-path /c --foo-b-extra-port $extra_port)"  # bar-b back
within_1s "after every watch was dropped, a change is still seen" "200 bar-b" bar.org /b
check "dropped watches resumed from their resourceVersion (no new list)" "$lists_before" "$(lists)"

# The history is compacted and every watch dropped: a watch resuming from a version older than
# the compaction gets an ERROR event with code 410 and its informer lists again (one that had a
# bookmark after the compaction resumes normally: both are right). So that a relist is certain,
# the services watch is also answered 410 Gone once.
sleep 1.2
service_lists() { stat 's["requests"].get("list", {}).get("services", 0)'; }
service_lists_before=$(service_lists)
hook POST '/fake/fail?status=410&count=1&match=/services%3Fwatch' >/dev/null
hook POST /fake/compact >/dev/null
hook POST /fake/drop-watches >/dev/null
sleep 0.2
api DELETE /api/v1/namespaces/default/services/bar-b >/dev/null
within_1s "after 410 Expired, a relist sees the change" "503 " bar.org /b
for _ in $(seq 40); do
  [ "$(service_lists)" -gt "$service_lists_before" ] && break
  sleep 0.05
done
if [ "$(service_lists)" -gt "$service_lists_before" ]; then echo "ok: 410 Gone led to a relist"
else fail "410 Gone on the services watch: no new list of services"; fi
expired=$(grep -c "too old; listing again" "$workdir/serve.log")
echo "($expired informers saw their resourceVersion expire and listed again)"

# The token rotates (as kubelet rotates a projected token): the server accepts only the new one,
# and gatehouse reads its token file again.
sleep 1.2
echo token-2 >"$workdir/api-token"
echo token-2 >"$workdir/client-token"
hook POST /fake/drop-watches >/dev/null
sleep 0.2
put_objects "$(objects --foo-a-path /c --foo-b-extra-port $extra_port)"
within_1s "after the token rotated, a change is still seen" "200 bar-b" bar.org /b

# RBAC refuses a watch once (403): the log says what permission is missing, and the informer
# carries on after its backoff.
sleep 1.2
hook POST '/fake/fail?status=403&count=1&match=/services%3Fwatch' >/dev/null
hook POST /fake/drop-watches >/dev/null
sleep 0.3
api DELETE /api/v1/namespaces/default/services/bar-b >/dev/null
within_5s() { local i; for i in $(seq 170); do [ "$(route "$2" "$3")" = "$1" ] && return 0; sleep 0.03; done; return 1; }
if within_5s "503 " bar.org /b; then echo "ok: after a 403, the services watch recovered"
else fail "after a 403 the services watch did not recover within 5 s (its backoff)"; fi
contains "the 403 is logged with the RBAC hint" "the service account needs list and watch on services" \
  "$(cat "$workdir/serve.log")"
put_objects "$(objects --foo-a-path /c --foo-b-extra-port $extra_port)"  # bar-b back
within_1s "and follows changes again" "200 bar-b" bar.org /b

total_before=$(stat 's["requests_total"]')
hook POST '/fake/fail?status=429&count=5&retry-after=1' >/dev/null
hook POST /fake/drop-watches >/dev/null
sleep 2.5
requests=$(($(stat 's["requests_total"]') - total_before))
if [ $requests -le 20 ]; then echo "ok: 429 with Retry-After: $requests requests in 2.5 s, no busy loop"
else fail "429: $requests requests in 2.5 s"; fi
api DELETE /api/v1/namespaces/default/services/bar-b >/dev/null
within_1s "after the 429s, a change is seen" "503 " bar.org /b

# The API server stops answering (frozen, as when its node hangs): the last synced table keeps
# serving the load, and once it answers again its changes are followed again.
kill -STOP $fake_pid
sleep 3
check "while the API server is away, r3 still answers" "200 bar-a" "$(route bar.org /a)"
kill -CONT $fake_pid
put_objects "$(objects --foo-a-path /c --foo-b-extra-port $extra_port)"  # bar-b back
within_1s "once the API server is back, a change is seen" "200 bar-b" bar.org /b

touch "$workdir/stop"
wait $load_pid
total=$(wc -l <"$workdir/load")
ok=$(grep -c '^200$' "$workdir/load")
check "no request for the unchanged rule failed ($total requests)" "$total" "$ok"
[ "$total" = "$ok" ] || sort "$workdir/load" | uniq -c | head
[ "$total" -gt 0 ] || fail "the load sent no request"

kill -TERM $serve_pid
wait $serve_pid
check "SIGTERM: gatehouse exits 0" 0 $?
[ $failures -ne 0 ] && { echo "--- serve.log"; tail -40 "$workdir/serve.log"; }
finish
