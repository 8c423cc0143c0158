#!/usr/bin/env bash
# Whose X-Forwarded-For the pod can trust (forward_headers.h, docs/decisions/0011). By default
# nobody's, as ingress-nginx: the pod's X-Forwarded-For and X-Real-IP are the TCP peer and the
# client's claim moves to X-Original-Forwarded-For (a client's own X-Original-Forwarded-For is
# dropped). With --trust-forwarded-from covering the peer (a load balancer), the list is extended
# and X-Real-IP is its rightmost untrusted address. HTTP/1.1 and HTTP/2 clients alike; a bad CIDR
# is refused at start, naming it.
# usage: forwarded_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
require_python_h2
start_foobar_pods
h2c_pod=$(free_port)
start $py "$source_dir/tests/e2e/misbehaving_pod.py" h2c $h2c_pod
ports+=($h2c_pod)
mkdir "$workdir/manifests"
foobar_manifest "${ports[@]}" > "$workdir/manifests/foobar.yaml"
backend h2c h2c.local $h2c_pod kubernetes.io/h2c > "$workdir/manifests/h2c.yaml"
field() { grep "^header: $1:" <<<"$2" | sed "s/^header: $1: //"; }
ask() {  # ask URL CURL_ARG...: the echo pod's view of GET foo.org/a
  local target=$1
  shift
  timeout 10 curl -s -H 'Host: foo.org' "$@" "$target/a"
}

start_serve
default_url=$url
for client in --http1.1 --http2-prior-knowledge; do
  body=$(ask $default_url $client -H 'X-Forwarded-For: 203.0.113.9, 10.0.0.1' \
    -H 'X-Original-Forwarded-For: 198.51.100.66' -H 'X-Real-IP: 198.51.100.66')
  check "default $client: X-Forwarded-For is the peer" "127.0.0.1" "$(field X-Forwarded-For "$body")"
  check "default $client: X-Real-IP is the peer" "127.0.0.1" "$(field X-Real-IP "$body")"
  check "default $client: the claim moves to X-Original-Forwarded-For (once, ours)" \
    "203.0.113.9, 10.0.0.1" "$(field X-Original-Forwarded-For "$body")"
  body=$(ask $default_url $client)
  check "default $client: no claim, no X-Original-Forwarded-For" "" "$(field X-Original-Forwarded-For "$body")"
done

# The same to an h2c pod (its own copy of the field list until the one forwarder exists).
for client in --http1.1 --http2-prior-knowledge; do
  body=$(timeout 10 curl -s -H 'Host: h2c.local' $client -H 'X-Forwarded-For: 203.0.113.9' \
    -H 'X-Original-Forwarded-For: 198.51.100.66' "$default_url/a")
  check "h2c pod, $client: X-Original-Forwarded-For is ours, the spoofed one dropped" \
    "field x-original-forwarded-for: 203.0.113.9" "$(grep -i '^field x-original-forwarded-for' <<<"$body")"
  check "h2c pod, $client: X-Forwarded-For is the peer" "field x-forwarded-for: 127.0.0.1" \
    "$(grep -i '^field x-forwarded-for' <<<"$body")"
done

# 127.0.0.0/8 plays the load balancer, 10.0.0.0/8 a second trusted hop in front of it.
start_serve --trust-forwarded-from 127.0.0.0/8 --trust-forwarded-from 10.0.0.0/8
for client in --http1.1 --http2-prior-knowledge; do
  body=$(ask $url $client -H 'X-Forwarded-For: 198.51.100.66, 203.0.113.9, 10.0.0.1')
  check "trusted $client: X-Forwarded-For extended with the peer" \
    "198.51.100.66, 203.0.113.9, 10.0.0.1, 127.0.0.1" "$(field X-Forwarded-For "$body")"
  check "trusted $client: X-Real-IP is the rightmost untrusted address" "203.0.113.9" \
    "$(field X-Real-IP "$body")"
  check "trusted $client: nothing moved to X-Original-Forwarded-For" "" \
    "$(field X-Original-Forwarded-For "$body")"
  body=$(ask $url $client -H 'X-Forwarded-For: 10.0.0.2, not-an-address, 10.0.0.1')
  check "trusted $client: the walk stops at an entry that is no address" "10.0.0.1" \
    "$(field X-Real-IP "$body")"
done

err=$(timeout 10 "$gatehouse" serve -m "$workdir/manifests" -l 127.0.0.1:0 \
  --trust-forwarded-from 10.1.2.3/8 2>&1)
[ $? -ne 0 ] || fail "a CIDR with host bits set was accepted"
contains "a bad CIDR is named" '"10.1.2.3/8" has bits set past its prefix length' "$err"
finish
