#!/usr/bin/env bash
# A manifest change made while serve cannot open files (its descriptor limit lowered with prlimit
# to the descriptors it holds) is not "a malformed file" and is not lost: serve says it cannot
# read the manifests, keeps serving the last configuration, and tries again each second; once
# descriptors are available the change is served without touching the file again.
# usage: reload_retry_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
command -v prlimit >/dev/null || { echo "skipped: no prlimit (util-linux)"; exit 77; }
start_foobar_pods
mkdir "$workdir/manifests"
foobar_manifest "${ports[@]}" > "$workdir/manifests/foobar.yaml"
start_serve
code() { timeout 5 curl -s -o /dev/null -w '%{http_code}' -H "Host: $1" "$url/a"; }
check "before: foo.org served" 200 "$(code foo.org)"
limit=$(prlimit --pid $serve_pid --nofile --output SOFT --noheadings | tr -d ' ')
lowest=0
while [ -e /proc/$serve_pid/fd/$lowest ]; do lowest=$((lowest + 1)); done
prlimit --pid $serve_pid --nofile=$lowest: || { fail "prlimit refused"; finish; }
sed -i 's/foo\.org/fooz.org/' "$workdir/manifests/foobar.yaml"
for _ in $(seq 40); do grep -q "cannot read" "$workdir/serve.log" && break; sleep 0.1; done
prlimit --pid $serve_pid --nofile=$limit:
contains "the I/O error is reported as such" "keeping the last good configuration; trying again in 1 s" \
  "$(cat "$workdir/serve.log")"
grep -q "malformed" "$workdir/serve.log" && fail "an I/O error was called a malformed manifest" ||
  echo "ok: not called malformed"
for _ in $(seq 40); do [ "$(code fooz.org)" == 200 ] && break; sleep 0.1; done
check "after: the change is served without touching the file again" 200 "$(code fooz.org)"
check "after: the old host is gone" 404 "$(code foo.org)"
finish
