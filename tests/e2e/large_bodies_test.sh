#!/usr/bin/env bash
# 1 GiB bodies through gatehouse serve, both ways, with flat proxy memory: uploads streamed with
# the chunked coding and with Content-Length (a sparse file, so no disk), downloads with either
# framing, and a slow reader of a 200 MiB download (back-pressure). Each transfer is bounded in
# time while the serve process's resident memory is sampled every 0.2 s.
# usage: large_bodies_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)

gib=1073741824
peak_limit_kib=$((64 * 1024))   # VmHWM of the proxy over the whole test (~8 MiB idle)
growth_limit_kib=$((32 * 1024)) # VmRSS after all transfers minus VmRSS before them

start_foobar_pods
mkdir "$workdir/manifests"
foobar_manifest "${ports[@]}" > "$workdir/manifests/foobar.yaml"
start_serve

status_kib() {  # status_kib FIELD: VmRSS or VmHWM of the serve process, in KiB
  awk -v f="$1:" '$1 == f { print $2 }' /proc/$serve_pid/status
}
# transfer NAME CMD...: runs CMD (bounded to 120 s) while sampling the proxy's VmRSS every 0.2 s;
# CMD's stdout ends up in $out. Prints the time taken and the highest sample.
transfer() {
  local name=$1 sampler t0 t1 peak
  shift
  : > "$workdir/samples"
  ( while sleep 0.2; do status_kib VmRSS >> "$workdir/samples"; done ) &
  sampler=$!
  started_pids+=($sampler)
  t0=$(date +%s.%N)
  out=$(timeout 120 "$@")
  rc=$?
  t1=$(date +%s.%N)
  kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
  peak=$(sort -n "$workdir/samples" | tail -1)
  echo "$name: $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }') s, curl exit $rc," \
    "$(wc -l < "$workdir/samples") RSS samples, highest ${peak:-?} KiB"
  [ "$rc" == 0 ] || fail "$name: curl exited $rc (124: timed out)"
}

rss_start=$(status_kib VmRSS)
echo "proxy RSS before the transfers: $rss_start KiB"

# Upload without a length: curl streams stdin with Transfer-Encoding: chunked.
transfer "1 GiB chunked upload" bash -c \
  "head -c $gib /dev/zero | curl -s -T - -H 'Host: foo.org' $url/a"
contains "chunked upload: the pod got every byte" "body_bytes=$gib" "$out"
contains "chunked upload: routed to foo-a" "name=foo-a" "$out"
contains "chunked upload: the pod saw it chunked" "header: Transfer-Encoding: chunked" "$out"

# Upload with Content-Length: -T FILE sends the file's size and streams it (PUT).
truncate -s $gib "$workdir/sparse"
transfer "1 GiB Content-Length upload" curl -s -T "$workdir/sparse" -H 'Host: foo.org' $url/a
contains "Content-Length upload: the pod got every byte" "body_bytes=$gib" "$out"
contains "Content-Length upload: the pod saw the length" "header: Content-Length: $gib" "$out"
rm -f "$workdir/sparse"

# Download: the pod answers 1 GiB of 'x' with Content-Length.
transfer "1 GiB download" curl -s -o /dev/null -w '%{http_code} %{size_download}' \
  -H 'Host: foo.org' $url/a/bytes/$gib
check "1 GiB download: 200 and every byte" "200 $gib" "$out"

# Download with the chunked coding.
transfer "1 GiB chunked download" curl -s -o /dev/null -w '%{http_code} %{size_download}' \
  -H 'Host: foo.org' "$url/a/bytes/$gib?chunked=1"
check "1 GiB chunked download: 200 and every byte" "200 $gib" "$out"

# A slow reader: the pod sends 200 MiB as fast as it can, the client takes 32 MiB/s. Without
# back-pressure the proxy would hold most of it in memory.
transfer "200 MiB download, client reading at 32 MiB/s" curl -s -o /dev/null --limit-rate 32M \
  -w '%{http_code} %{size_download}' -H 'Host: foo.org' $url/a/bytes/$((200 * 1024 * 1024))
check "slow reader: 200 and every byte" "200 $((200 * 1024 * 1024))" "$out"

# Memory: a peak well under the limit, and no lasting growth.
sleep 0.5
rss_end=$(status_kib VmRSS)
hwm=$(status_kib VmHWM)
echo "proxy RSS after the transfers: $rss_end KiB, VmHWM $hwm KiB"
if [ "${hwm:-999999999}" -lt $peak_limit_kib ]; then echo "ok: peak RSS $hwm KiB < $peak_limit_kib KiB"
else fail "peak RSS (VmHWM) $hwm KiB, limit $peak_limit_kib KiB"; fi
if [ $((rss_end - rss_start)) -le $growth_limit_kib ]; then
  echo "ok: RSS grew $((rss_end - rss_start)) KiB <= $growth_limit_kib KiB"
else fail "RSS grew $((rss_end - rss_start)) KiB over the transfers, limit $growth_limit_kib KiB"; fi

check "the proxy still answers" "name=foo-a" "$(timeout 10 curl -s -H 'Host: foo.org' $url/a | head -1)"
kill -TERM $serve_pid
wait $serve_pid
check "SIGTERM: exit 0" "0" "$?"
finish
