#!/usr/bin/env bash
# HTTP/2 abuse against gatehouse serve's h2c listener (h2_abuse_test.py: rapid reset, too many
# concurrent streams, CONTINUATION floods, SETTINGS and PING floods from clients that read and
# that do not), each answered by GOAWAY or a close of that connection alone; then serve is still
# running, answers HTTP/2 and HTTP/1.1, and its memory did not balloon.
# Needs Debian's /usr/bin/python3 with python3-h2 and python3-hyperframe (exit 77, skipped, without).
# usage: h2_abuse_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
py=/usr/bin/python3
if ! timeout 10 $py -c 'import h2, hyperframe, hpack' 2>/dev/null; then
  echo "skipped: $py cannot import h2, hyperframe and hpack (apt-get install python3-h2)"
  exit 77
fi
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)

start_foobar_pods "$workdir/echo.log"
mkdir "$workdir/manifests"
foobar_manifest "${ports[@]}" > "$workdir/manifests/foobar.yaml"
start_serve
rss() { awk '$1 == "VmRSS:" { print $2 }' /proc/$serve_pid/status; }
rss_before=$(rss)

timeout 100 $py "$source_dir/tests/e2e/h2_abuse_test.py" 127.0.0.1 $proxy
status=$?
check "h2_abuse_test.py: every check passed (exit 0)" "0" "$status"

if kill -0 $serve_pid 2>/dev/null; then echo "ok: serve survived the attacks"
else fail "serve is gone after the attacks:"$'\n'"$(tail -20 "$workdir/serve.log")"; fi
check "after the attacks: h2c GET foo.org /a" "2 200" \
  "$(timeout 10 curl -s --http2-prior-knowledge -o /dev/null -w '%{http_version} %{http_code}' \
     -H 'Host: foo.org' $url/a)"
check "after the attacks: HTTP/1.1 GET bar.org /b" "1.1 200" \
  "$(timeout 10 curl -s --http1.1 -o /dev/null -w '%{http_version} %{http_code}' -H 'Host: bar.org' $url/b)"
sleep 0.5
rss_after=$(rss)
echo "serve VmRSS: $rss_before KiB before the attacks, ${rss_after:-?} KiB after"
if [ -n "$rss_after" ] && [ $((rss_after - rss_before)) -le $((50 * 1024)) ]; then
  echo "ok: RSS grew by at most 50 MiB"
else fail "RSS grew from $rss_before to ${rss_after:-?} KiB"; fi
echo "serve log lines mentioning HTTP/2 or GOAWAY:"
grep -aiE 'h2|http/2|goaway|flood|reset' "$workdir/serve.log" | head -10
kill -TERM $serve_pid
wait $serve_pid
check "SIGTERM: exit 0" "0" "$?"
finish
