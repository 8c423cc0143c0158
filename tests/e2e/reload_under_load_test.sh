#!/usr/bin/env bash
# gatehouse serve reconfigured 200 times under load: while keep-alive clients send requests
# without pause, the manifest is rewritten (temp file renamed over it, as editors do), alternating
# between two versions of the foobar table that differ in one rule: version A sends foo.org /a to
# foo-a, version B to foo-b. No request may fail, every foo.org /a request must be answered by
# foo-a or foo-b (the old table or the new one), the rules that did not change must keep their pod,
# and the clients' keep-alive connections must survive the reloads.
# usage: reload_under_load_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)

writes=200
urls_per_curl=200

start_foobar_pods "$workdir/echo.log"
mkdir "$workdir/manifests"
foobar_manifest "${ports[@]}" > "$workdir/version-a.yaml"
# Version B: rule r1 (foo.org /a) names Service foo-b instead of foo-a; the rest is identical.
perl -0pe 's/(- path: \/a\n\s+backend:\n\s+service:\n\s+)name: foo-a\n(\s+port:\n\s+)number: 8080/${1}name: foo-b\n${2}number: 8181/' \
  "$workdir/version-a.yaml" > "$workdir/version-b.yaml"
check "the two versions differ in exactly the backend of foo.org /a" \
  "< name: foo-a > name: foo-b < number: 8080 > number: 8181 " \
  "$(diff "$workdir/version-a.yaml" "$workdir/version-b.yaml" | grep '^[<>]' | tr -s ' ' | tr '\n' ' ')"
cp "$workdir/version-a.yaml" "$workdir/manifests/foobar.yaml"
start_serve
check "before: foo.org /a reaches foo-a" "name=foo-a" \
  "$(timeout 10 curl -s -H 'Host: foo.org' $url/a | head -1)"

# load N HOST PATH...: until $workdir/stop exists, one curl after another, each sending
# $urls_per_curl requests over one keep-alive connection (the paths in turn). Appends to
# $workdir/load-N the bodies and, after each, "code=STATUS connects=N" (new connections for it).
load() {
  local n=$1 host=$2 i
  shift 2
  local args=()
  for ((i = 0; i < urls_per_curl; i++)); do args+=("$url${@:i % $# + 1:1}"); done
  while [ ! -e "$workdir/stop" ]; do
    timeout 60 curl -s -H "Host: $host" -w '\ncode=%{http_code} connects=%{num_connects}\n' \
      "${args[@]}" >> "$workdir/load-$n"
    echo "curl exit $?" >> "$workdir/load-$n.exits"
  done
}
start load 1 foo.org /a
start load 2 foo.org /a
start load 3 bar.org /a /b   # rules that never change: bar-a, bar-b, bar-a, ...
loaders=("${started_pids[@]: -3}")
sleep 0.3

# The writer: 200 rewrites, B, A, B, ..., each a new file renamed over the old one, 20 ms apart
# (one perl process, so that forking under load does not slow the writes down).
t0=$(date +%s.%N)
timeout 60 perl -e '
  my ($dir, $writes, $a, $b) = @ARGV;
  my @versions = map { local $/; open(my $f, "<", $_) or die "$_: $!"; scalar <$f> } ($a, $b);
  for my $i (1 .. $writes) {
    open(my $f, ">", "$dir/.foobar.yaml.tmp") or die $!;
    print $f $versions[$i % 2];
    close($f) or die $!;
    rename("$dir/.foobar.yaml.tmp", "$dir/foobar.yaml") or die $!;
    select(undef, undef, undef, 0.02);
  }' "$workdir/manifests" $writes "$workdir/version-a.yaml" "$workdir/version-b.yaml"
check "the writer finished" "0" "$?"
t1=$(date +%s.%N)
sleep 0.3
touch "$workdir/stop"
for pid in "${loaders[@]}"; do wait $pid; done
echo "$writes rewrites in $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }') s"

# Every request answered 200; every answer from a pod the old or the new table names.
cat "$workdir"/load-{1,2,3} > "$workdir/all"
requests=$(grep -c '^code=' "$workdir/all")
echo "requests: $requests in $(cat "$workdir"/load-*.exits | wc -l) curl runs;" \
  "foo.org /a answered by: $(cat "$workdir"/load-{1,2} | grep '^name=' | sort | uniq -c | tr -s ' \n' ' ')"
if [ "$requests" -gt 1000 ]; then echo "ok: more than 1000 requests ($requests)"
else fail "only $requests requests under load"; fi
check "no curl run failed" "" "$(cat "$workdir"/load-*.exits | grep -v '^curl exit 0$' | sort | uniq -c)"
check "every request answered 200" "" "$(grep '^code=' "$workdir/all" | grep -v '^code=200 ' | sort | uniq -c)"
check "one body per request" "$requests" "$(grep -c '^name=' "$workdir/all")"
check "foo.org /a: only foo-a or foo-b" "" \
  "$(cat "$workdir"/load-{1,2} | grep '^name=' | grep -v '^name=foo-[ab]$' | sort | uniq -c)"
contains "foo.org /a: foo-a seen" "name=foo-a" "$(cat "$workdir"/load-{1,2} | grep '^name=' | sort -u)"
contains "foo.org /a: foo-b seen" "name=foo-b" "$(cat "$workdir"/load-{1,2} | grep '^name=' | sort -u)"
switches=$(cat "$workdir"/load-{1,2} | grep '^name=' | uniq | wc -l)
echo "foo.org /a changed pods $((switches - 1)) times in the clients' sequences"
if [ "$switches" -gt 20 ]; then echo "ok: the table changed many times under load"
else fail "foo.org /a changed pods only $((switches - 1)) times"; fi
check "bar.org /a and /b kept their pods throughout" "" \
  "$(grep '^name=' "$workdir/load-3" | paste - - | grep -v $'^name=bar-a\tname=bar-b$' | sort | uniq -c)"

# Keep-alive: each curl run opened one connection (the first request) and reused it.
runs=$(cat "$workdir"/load-*.exits | wc -l)
connects=$(grep '^code=' "$workdir/all" | sed 's/.*connects=//' | paste -sd+ | bc)
echo "connections opened: $connects for $runs curl runs"
check "keep-alive connections survived the reloads (one connection per curl run)" "$runs" "$connects"

# The proxy reloaded many times, and the last version (A, write 200) is the one in force.
reloads=$(grep -c 'gatehouse: configuration [0-9]*:' "$workdir/serve.log")
echo "configurations published: $reloads"
if [ "$reloads" -ge 50 ]; then echo "ok: many reloads logged"
else fail "only $reloads configurations published for $writes rewrites"; fi
check "no errors logged" "" "$(grep -iE 'error|fail' "$workdir/serve.log")"
check "after: foo.org /a reaches foo-a (the last version)" "name=foo-a" \
  "$(timeout 10 curl -s -H 'Host: foo.org' $url/a | head -1)"
kill -TERM $serve_pid
wait $serve_pid
check "SIGTERM: exit 0" "0" "$?"
finish
