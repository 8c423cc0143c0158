#!/usr/bin/env bash
# The pod receives exactly the path the router matched, on every client × pod protocol pair:
# HTTP/1.1, h2c (prior knowledge) and h2 over TLS clients (curl), to HTTP/1.1, TLS and h2c pods
# (misbehaving_pod.py, which answers with the request-target it received). The normalized path
# ("/x/../a/%62/./c" → "/a/b/c"), the query untouched; a fragment in the target or :path, and a
# dot-segment beside an escaped slash, refused with 400; an Ingress that exposes only /pub of a pod
# never lets a request reach another of its paths (docs/decisions/0011).
# usage: path_pairs_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
require_python_h2
source "$source_dir/tests/e2e/tls_lib.sh"
make_cert pod 7001 pod.internal  # pods' certificates are not checked

declare -A pod_port app_protocol
app_protocol=([h1]=http [tls]=https [h2c]=kubernetes.io/h2c)
ports=()
for kind in h1 tls h2c; do
  port=$(free_port)
  while [[ " ${ports[*]} " == *" $port "* ]]; do port=$(free_port); done
  pod_port[$kind]=$port
  ports+=($port)
done
start $py "$source_dir/tests/e2e/misbehaving_pod.py" h1 ${pod_port[h1]}
start $py "$source_dir/tests/e2e/misbehaving_pod.py" h1 ${pod_port[tls]} "$workdir/pod.pem" "$workdir/pod.key"
start $py "$source_dir/tests/e2e/misbehaving_pod.py" h2c ${pod_port[h2c]}

# Per pod kind K: all-K.local routes every path to it, pub-K.local only /pub.
mkdir "$workdir/manifests"
for kind in h1 tls h2c; do
  backend $kind all-$kind.local ${pod_port[$kind]} ${app_protocol[$kind]} > "$workdir/manifests/$kind.yaml"
  cat >> "$workdir/manifests/$kind.yaml" <<EOF
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: pub-$kind
  namespace: default
spec:
  rules:
  - host: pub-$kind.local
    http:
      paths:
      - path: /pub
        pathType: Prefix
        backend:
          service:
            name: $kind
            port:
              number: 50051
EOF
done
tls_port=$(free_port)
start_serve --listen-tls 127.0.0.1:$tls_port
wait_port $tls_port

# ask CLIENT HOST CURL_ARG...: curl as CLIENT (h1, h2c, h2tls) for HOST; prints the status line's
# code, then the body.
ask() {
  local client=$1 host=$2
  shift 2
  local target=${*: -1}
  local opts=("${@:1:$#-1}")
  case $client in
    h1) timeout 10 curl -s --http1.1 -H "Host: $host" -w '\n%{http_code}' "${opts[@]}" "$url$target" ;;
    h2c) timeout 10 curl -s --http2-prior-knowledge -H "Host: $host" -w '\n%{http_code}' "${opts[@]}" "$url$target" ;;
    h2tls) timeout 10 curl -s -k --http2 --resolve "$host:$tls_port:127.0.0.1" -w '\n%{http_code}' \
      "${opts[@]}" "https://$host:$tls_port$target" ;;
  esac
}
status_of() { tail -1 <<<"$1"; }
seen_by_pod() { sed -n 's/^answer for //p' <<<"$1"; }

for client in h1 h2c h2tls; do
  for kind in h1 tls h2c; do
    pair="$client → $kind pod"
    got=$(ask $client all-$kind.local --path-as-is '/x/../a/%62/./c?q=%2F&r=a/../b')
    check "$pair: the pod receives the normalized path, the query untouched" \
      '/a/b/c?q=%2F&r=a/../b' "$(seen_by_pod "$got")"
    got=$(ask $client all-$kind.local --path-as-is '//a/./b/%7Euser/%2e%2E/c%2Fd')
    check "$pair: merged slashes, decoded unreserved escapes, %2F kept" '/a/b/c%2Fd' \
      "$(seen_by_pod "$got")"
    got=$(ask $client pub-$kind.local /pub/x)
    check "$pair: /pub is served" '/pub/x' "$(seen_by_pod "$got")"
    got=$(ask $client pub-$kind.local --request-target '/internal/secret.txt#/../../pub/x' /)
    check "$pair: a fragment in the target is refused" 400 "$(status_of "$got")"
    got=$(ask $client pub-$kind.local /pub/..%2finternal/secret.txt)
    check "$pair: a dot-segment beside an escaped slash is refused" 400 "$(status_of "$got")"
    got=$(ask $client pub-$kind.local --path-as-is /pub/../internal/secret.txt)
    check "$pair: /pub/../internal is /internal, which no rule routes" 404 "$(status_of "$got")"
    got=$(ask $client pub-$kind.local /pub/%2e%2e/internal/secret.txt)
    check "$pair: /pub/%2e%2e/internal is /internal too" 404 "$(status_of "$got")"
    got=$(ask $client pub-$kind.local --request-target '/pub/a|b' /)
    check "$pair: a character outside the path grammar is refused" 400 "$(status_of "$got")"
  done
done
# explain names the rule serve uses for the same un-normalized path (none here: serve said 404).
explained=$("$gatehouse" explain -m "$workdir/manifests" --host pub-h1.local --path /pub/../internal 2>&1)
check "explain: /pub/../internal matches no rule, as serve's 404 says" 1 $?
contains "explain: says what it matched" "is matched as /internal" "$explained"
explained=$("$gatehouse" explain -m "$workdir/manifests" --host pub-h1.local --path /pub/..%2finternal 2>&1)
contains "explain: refuses what serve refuses" "refused: 400" "$explained"
finish
