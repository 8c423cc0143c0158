#!/usr/bin/env bash
# --shutdown-delay-ms: after SIGTERM gatehouse answers /readyz 503 at once but keeps accepting and
# serving new connections for the delay (a load balancer still sends them until its health check
# notices), then drains and exits 0.
# usage: shutdown_delay_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)

start_foobar_pods "$workdir/echo.log"
mkdir "$workdir/manifests"
foobar_manifest "${ports[@]}" >"$workdir/manifests/foobar.yaml"
admin=$(free_port)
start_serve --admin-listen 127.0.0.1:$admin --shutdown-delay-ms 2000
wait_port $admin
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
check "ready before SIGTERM" 200 "$(code http://127.0.0.1:$admin/readyz)"
t0=$(date +%s%N)
kill -TERM $serve_pid
sleep 0.3
check "SIGTERM: /readyz fails at once" 503 "$(code http://127.0.0.1:$admin/readyz)"
check "a new connection during the delay is still served" 200 "$(code -H 'Host: foo.org' $url/a)"
sleep 1
check "and one more, 1.3 s in" 200 "$(code -H 'Host: bar.org' $url/b)"
wait $serve_pid
status=$?
elapsed=$((($(date +%s%N) - t0) / 1000000))
check "exits 0 after draining" 0 $status
if [ $elapsed -ge 2000 ]; then echo "ok: exited after the delay ($elapsed ms)"
else fail "exited after $elapsed ms, before the 2000 ms delay"; fi
check "then nothing listens" 000 "$(code -H 'Host: foo.org' $url/a)"
finish
