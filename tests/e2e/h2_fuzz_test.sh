#!/usr/bin/env bash
# Randomized robustness test of gatehouse serve's h2c listener (HTTP/2 frames from clients are
# untrusted input): h2_fuzz_test.py sends mutated HTTP/2 traffic, seeded and time-bounded, on
# many connections (several at once), checking on the way that well-behaved HTTP/2 and HTTP/1.1
# requests still get 200. Then serve is still running, its RSS grew by at most 50 MiB, within 5 s
# no client connection is left open and its other descriptors are back to what they were (the
# sockets to the pods it pools are counted apart), and it exits 0 on SIGTERM within the drain
# timeout.
# Needs Debian's /usr/bin/python3 with python3-h2, python3-hyperframe and python3-hpack (exit 77,
# skipped, without).
# usage: h2_fuzz_test.sh GATEHOUSE_BINARY SOURCE_DIR [SECONDS] [SEED]
# SECONDS of fuzzing (default 25, so that the whole script takes at most 45 s); SEED (default:
# the current time, printed) makes a run reproducible. A longer run, an hour:
#   bash tests/e2e/h2_fuzz_test.sh build/src/app/gatehouse . 3600 SEED
# On a failure the python script prints the last sequences sent and their connection seeds; one
# sequence is replayed alone against a running serve with
#   /usr/bin/python3 tests/e2e/h2_fuzz_test.py 127.0.0.1 PORT replay CONNECTION_SEED
# H2_FUZZ_PARALLEL=1 in the environment sends one connection at a time (default 4), so that the
# sequence in the log's last place is the one that upset serve.
set -uo pipefail
gatehouse=$1
source_dir=$2
seconds=${3:-25}
seed=${4:-$(date +%s)}
py=/usr/bin/python3
drain_ms=10000
if ! timeout 10 $py -c 'import h2, hyperframe, hpack' 2>/dev/null; then
  echo "skipped: $py cannot import h2, hyperframe and hpack (apt-get install python3-h2)"
  exit 77
fi
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
echo "seed: $seed (rerun: bash tests/e2e/h2_fuzz_test.sh $gatehouse $source_dir $seconds $seed)"

start_foobar_pods "$workdir/echo.log"
mkdir "$workdir/manifests"
foobar_manifest "${ports[@]}" > "$workdir/manifests/foobar.yaml"
start_serve --drain-timeout-ms $drain_ms

rss() { awk '$1 == "VmRSS:" { print $2 }' /proc/$serve_pid/status 2>/dev/null; }
# fds: "TOTAL CLIENT POD GONE": serve's descriptors; of them the TCP connections accepted on the
# proxy port and those to the pods (ports matched in /proc/net/tcp by inode), and the sockets
# whose connection is no longer there (reset or closed by the peer, the descriptor still open).
fds() {
  local inodes
  inodes=$(find /proc/$serve_pid/fd -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null |
           sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
  awk -v total="$(find /proc/$serve_pid/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" \
      -v inodes=" $inodes" -v proxy="$(printf '%04X' $proxy)" \
      -v pods="$(printf ' %04X' "${ports[@]}") " '
    NR > 1 && index(inodes, " " $10 " ") && $10 != 0 {
      seen++
      split($2, local_addr, ":"); split($3, remote, ":")
      if (local_addr[2] == proxy && $4 != "0A") client++
      else if (index(pods, " " remote[2] " ")) pod++
    }
    END { print total, client + 0, pod + 0, split(inodes, all, " ") - seen }' /proc/net/tcp
}

# Warm up (lazily opened descriptors, pooled pod connections) before the baseline.
check "before fuzzing: h2c GET foo.org /a" "2 200" \
  "$(timeout 10 curl -s --http2-prior-knowledge -o /dev/null -w '%{http_version} %{http_code}' \
     -H 'Host: foo.org' $url/a)"
check "before fuzzing: HTTP/1.1 GET foo.org /a" "1.1 200" \
  "$(timeout 10 curl -s --http1.1 -o /dev/null -w '%{http_version} %{http_code}' \
     -H 'Host: foo.org' $url/a)"
sleep 0.2
rss_before=$(rss)
read -r fds_before clients_before pods_before gone_before <<<"$(fds)"
echo "serve before fuzzing: VmRSS $rss_before KiB, $fds_before fds ($clients_before client" \
     "connections, $pods_before to pods, $gone_before sockets without a connection)"

timeout $((seconds + 120)) $py "$source_dir/tests/e2e/h2_fuzz_test.py" 127.0.0.1 $proxy \
  $seconds $seed
status=$?
check "h2_fuzz_test.py (seed $seed): every check passed (exit 0)" "0" "$status"

# A hang: whether serve's threads spin (CPU ticks) or wait.
if [ $status -ne 0 ] && kill -0 $serve_pid 2>/dev/null; then
  for task in /proc/$serve_pid/task/*; do
    echo "serve thread ${task##*/}:" \
         "$(awk '{ print "state", $3, "utime", $14, "stime", $15 }' $task/stat)"
  done
fi

if kill -0 $serve_pid 2>/dev/null; then
  echo "ok: serve survived the fuzzing"
else
  wait $serve_pid
  fail "serve is gone after the fuzzing (exit status $?, seed $seed):"$'\n'"$(
    tail -30 "$workdir/serve.log")"
  finish
fi

rss_after=$(rss)
echo "serve VmRSS: $rss_before KiB before fuzzing, ${rss_after:-?} KiB after"
if [ -n "$rss_after" ] && [ $((rss_after - rss_before)) -le $((50 * 1024)) ]; then
  echo "ok: RSS grew by at most 50 MiB"
else fail "RSS grew from $rss_before to ${rss_after:-?} KiB (seed $seed)"; fi

# Every fuzzed connection was closed by the client: within 5 s serve must have closed its side
# and freed what came with it. Pooled idle connections to the pods may stay (until the idle
# timeout), so they are counted apart; a few descriptors of slack.
for i in $(seq 100); do
  read -r fds_after clients_after pods_after gone_after <<<"$(fds)"
  [ "$clients_after" -le "$clients_before" ] &&
    [ $((fds_after - pods_after)) -le $((fds_before - pods_before + 2)) ] && break
  sleep 0.05
done
echo "serve after fuzzing: $fds_after fds ($clients_after client connections," \
     "$pods_after to pods, $gone_after sockets without a connection) after $(((i - 1) * 50)) ms"
if [ "$clients_after" -le "$clients_before" ]; then
  echo "ok: no client connection left open within 5 s"
else
  fail "$clients_after client connections still open 5 s after the fuzzing (seed $seed)"
  echo "serve's sockets (/proc/net/tcp: local remote state queues;" \
       "proxy port $(printf '%04X' $proxy)):"
  for inode in $(find /proc/$serve_pid/fd -mindepth 1 -maxdepth 1 -printf '%l\n' |
                 sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p'); do
    awk -v inode=$inode '$10 == inode { print "  " $2, $3, $4, $5 }' /proc/net/tcp
  done
fi
if [ $((fds_after - pods_after)) -le $((fds_before - pods_before + 2)) ]; then
  echo "ok: descriptors other than pod connections back to $((fds_before - pods_before)) (+2)"
else
  fail "descriptors other than pod connections: $((fds_before - pods_before)) before," \
       "$((fds_after - pods_after)) 5 s after the fuzzing (seed $seed)"
fi

echo "serve log: $(wc -l < "$workdir/serve.log") lines; the last:"
tail -5 "$workdir/serve.log"
kill -TERM $serve_pid
for i in $(seq $((drain_ms / 50 + 40))); do
  kill -0 $serve_pid 2>/dev/null || break
  sleep 0.05
done
if kill -0 $serve_pid 2>/dev/null; then
  fail "serve still running $((drain_ms / 1000 + 2)) s after SIGTERM" \
       "(drain timeout $((drain_ms / 1000)) s)"
  kill -KILL $serve_pid
  wait $serve_pid
else
  wait $serve_pid
  check "SIGTERM: exit 0 within the drain timeout" "0" "$?"
fi
finish
