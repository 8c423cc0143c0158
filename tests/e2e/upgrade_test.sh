#!/usr/bin/env bash
# A WebSocket-style Upgrade through gatehouse serve: the 101 relayed, then bytes tunnelled both
# ways between the client (bash /dev/tcp) and the echo pod, which echoes them; the tunnel's
# connections released when the client closes; normal requests unaffected; and SIGTERM with a
# tunnel open still exits 0 within the drain timeout.
# usage: upgrade_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)

start_foobar_pods "$workdir/echo.log"
mkdir "$workdir/manifests"
foobar_manifest "${ports[@]}" > "$workdir/manifests/foobar.yaml"
start_serve --drain-timeout-ms 2000
c() { timeout 10 curl -s "$@"; }
fds() { ls /proc/$serve_pid/fd | wc -l; }

upgrade_request='GET /a/ws HTTP/1.1\r\nHost: foo.org\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'
# open_tunnel FD [EXTRA]: connects FD to the proxy, sends the upgrade request (and EXTRA right
# after it, in the same write), reads the response head into $head (lines, CR removed).
open_tunnel() {
  local line
  head=
  eval "exec $1<>/dev/tcp/127.0.0.1/$proxy" || { fail "cannot connect to the proxy"; return 1; }
  printf "$upgrade_request%s" "${2:-}" >&$1
  while IFS= read -r -t 3 -u $1 line; do
    line=${line%$'\r'}
    [ -z "$line" ] && return 0
    head+="$line"$'\n'
  done
  fail "no complete response head within 3 s; got:"$'\n'"$head"
  return 1
}
# ping FD WHAT: writes WHAT into the tunnel and expects the same bytes back within 3 s.
ping() {
  local got=
  printf '%s' "$2" >&$1
  read -r -t 3 -N ${#2} -u $1 got
  check "tunnel echoes [${2:0:20}] (${#2} bytes)" "$2" "$got"
}

check "before: a normal request" "name=foo-a" "$(c -H 'Host: foo.org' $url/a | head -1)"
fds_before=$(fds)

# One tunnel, two round trips, then a 64 KiB message each way.
open_tunnel 3
check "101 relayed" "HTTP/1.1 101 Switching Protocols" "$(head -1 <<<"$head")"
contains "Upgrade header relayed" "Upgrade: websocket" "$head"
check "Connection: upgrade relayed" "connection: upgrade" "$(grep -i '^connection:' <<<"$head" | tr A-Z a-z)"
contains "the pod behind foo.org /a answered" "X-Echo-Name: foo-a" "$head"
ping 3 ping-1
ping 3 ping-2
ping 3 "$(head -c 65536 /dev/zero | tr '\0' x)"

# A second tunnel at the same time, whose first bytes follow the request head in the same write.
open_tunnel 4 early
check "second tunnel: 101" "HTTP/1.1 101 Switching Protocols" "$(head -1 <<<"$head")"
got=
read -r -t 3 -N 5 -u 4 got
check "bytes sent right after the upgrade request reach the pod" "early" "$got"
ping 4 ping-3
ping 3 ping-4
fds_open=$(fds)
echo "proxy descriptors: $fds_before before the tunnels, $fds_open with two open"
if [ "$fds_open" -gt "$fds_before" ]; then echo "ok: the tunnels hold descriptors"
else fail "no more descriptors with two tunnels open ($fds_open) than before ($fds_before)"; fi
exec 3<&- 4<&-

# Closing the tunnels releases their connections, on both sides.
for _ in $(seq 20); do [ "$(fds)" -le "$fds_before" ] && break; sleep 0.1; done
if [ "$(fds)" -le "$fds_before" ]; then echo "ok: the tunnels' descriptors are released"
else fail "the proxy holds $(fds) descriptors after the tunnels closed, $fds_before before"; fi
check "after: a normal request" "name=foo-a" "$(c -H 'Host: foo.org' $url/a | head -1)"
check "after: keep-alive still works" "10" \
  "$(c -o /dev/null -o /dev/null -w '%{num_connects}' -H 'Host: foo.org' $url/a $url/b)"

# SIGTERM with a tunnel open: exit 0 within the drain timeout (2 s) plus a margin.
open_tunnel 3
ping 3 ping-5
t0=$(date +%s%N)
kill -TERM $serve_pid
for _ in $(seq 50); do kill -0 $serve_pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $serve_pid 2>/dev/null; then
  fail "the proxy still runs 5 s after SIGTERM with a tunnel open"
  kill -KILL $serve_pid
fi
wait $serve_pid
check "SIGTERM with a tunnel open: exit 0" "0" "$?"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "exited $ms ms after SIGTERM"
if [ $ms -le 3000 ]; then echo "ok: within the drain timeout"
else fail "exited $ms ms after SIGTERM, drain timeout 2000 ms"; fi
read -r -t 3 -N 1 -u 3 got
check "the client's end of the tunnel sees the connection closed (read status 1: EOF)" "1" "$?"
exec 3<&-
finish
