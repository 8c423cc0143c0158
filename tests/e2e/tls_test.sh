#!/usr/bin/env bash
# TLS termination in gatehouse serve, seen by openssl s_client and curl: certificates from
# kubernetes.io/tls Secrets made in the test (a local CA signs the leaves), picked by SNI (exact
# host, then a one-label wildcard, then the default certificate: self-signed when none is named,
# or --default-certificate); TLS 1.2 and 1.3 only; ALPN http/1.1; session resumption by tickets
# for both versions; requests routed by Host with X-Forwarded-Proto/-Port of the listener; broken
# Secrets refused with a log line and `validate` exit 1 while the other hosts keep their own;
# a Secret replaced live switches new handshakes without a restart, an open connection keeps
# working; --listen-tls repeatable and enough without --listen.
# usage: tls_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
c() { timeout 10 curl -s "$@"; }

# --- Certificates -------------------------------------------------------------------------------
source "$source_dir/tests/e2e/tls_lib.sh"
make_cert foo 1001 foo.org
make_cert bar 1002 bar.org
make_cert wild 1003 '*.wild.org'
make_cert fine 1004 fine.org
make_cert mismatch 1005 mismatch.org
make_cert default 1009 default.test
make_cert foo-new 1011 foo.org
# An expired leaf (January 2020), signed by the CA through `openssl ca`, which can backdate.
cat > "$workdir/ca.cnf" <<EOF
[ca]
default_ca = e2e
[e2e]
database = $workdir/ca-index.txt
new_certs_dir = $workdir
serial = $workdir/ca-serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
EOF
touch "$workdir/ca-index.txt"
echo 1006 > "$workdir/ca-serial"
timeout 10 openssl req -new "${p256[@]}" -subj /CN=expired.org -addext subjectAltName=DNS:expired.org \
  -keyout "$workdir/expired.key" -out "$workdir/expired.csr" 2>/dev/null &&
  timeout 10 openssl ca -batch -config "$workdir/ca.cnf" -cert "$workdir/ca.pem" -keyfile "$workdir/ca.key" \
    -in "$workdir/expired.csr" -out "$workdir/expired.pem" -notext \
    -startdate 20200101000000Z -enddate 20200201000000Z >/dev/null 2>&1 || { echo "cannot make expired"; exit 1; }
printf -- '-----BEGIN CERTIFICATE-----\nThis is not a certificate at all.\n-----END CERTIFICATE-----\n' \
  > "$workdir/garbage.pem"

# ingress NAME [HOST:SECRET ...] -- [HOST:SERVICE:PORT ...]: an Ingress in namespace default with
# one spec.tls entry per HOST:SECRET (in that order) and one rule "/" per HOST:SERVICE:PORT.
ingress() {
  local name=$1 item host service port
  shift
  printf 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %s\n  namespace: default\nspec:\n  tls:\n' "$name"
  while [ "$1" != -- ]; do
    printf '  - hosts: ["%s"]\n    secretName: %s\n' "${1%%:*}" "${1#*:}"
    shift
  done
  shift
  printf '  rules:\n'
  for item in "$@"; do
    IFS=: read -r host service port <<<"$item"
    printf '  - host: "%s"\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: %s\n            port:\n              number: %s\n' \
      "$host" "$service" "$port"
  done
}

# --- Manifests ----------------------------------------------------------------------------------
start_foobar_pods "$workdir/echo.log"
mkdir "$workdir/manifests"
m=$workdir/manifests
# The talk's Ingress foobar with a spec.tls section: foo.org and bar.org, each its own Secret.
foobar_manifest "${ports[@]}" |
  perl -0pe 's/^spec:\n/spec:\n  tls:\n  - hosts:\n    - foo.org\n    secretName: foo-tls\n  - hosts:\n    - bar.org\n    secretName: bar-tls\n/m' \
  > "$m/foobar.yaml"
check "foobar.yaml got its spec.tls section" "2" "$(grep -c 'secretName: ' "$m/foobar.yaml")"
tls_secret foo-tls "$workdir/foo.pem" "$workdir/foo.key" > "$m/secret-foo.yaml"
tls_secret bar-tls "$workdir/bar.pem" "$workdir/bar.key" > "$m/secret-bar.yaml"
tls_secret wild-tls "$workdir/wild.pem" "$workdir/wild.key" > "$m/secret-wild.yaml"
tls_secret fine-tls "$workdir/fine.pem" "$workdir/fine.key" > "$m/secret-fine.yaml"
tls_secret default-tls "$workdir/default.pem" "$workdir/default.key" > "$m/secret-default.yaml"
# A wildcard host with its certificate, and plain.org with a rule but no TLS at all.
ingress wild '*.wild.org:wild-tls' -- '*.wild.org:foo-b:8181' 'plain.org:foo-a:8080' > "$m/wild.yaml"
good_files=("$m"/*.yaml)
# Ingress faulty: four broken Secrets (garbage PEM, a key that is not the certificate's, an
# expired certificate, no Secret at all) and one good one, fine.org, in the same spec.tls.
tls_secret garbage-tls "$workdir/garbage.pem" "$workdir/foo.key" > "$m/secret-garbage.yaml"
tls_secret mismatch-tls "$workdir/mismatch.pem" "$workdir/foo.key" > "$m/secret-mismatch.yaml"
tls_secret expired-tls "$workdir/expired.pem" "$workdir/expired.key" > "$m/secret-expired.yaml"
broken_secrets=(garbage-tls mismatch-tls expired-tls missing-tls)
ingress faulty garbage.org:garbage-tls mismatch.org:mismatch-tls expired.org:expired-tls \
  missing.org:missing-tls fine.org:fine-tls -- \
  garbage.org:bar-a:9090 mismatch.org:bar-a:9090 expired.org:bar-a:9090 missing.org:bar-a:9090 \
  fine.org:bar-a:9090 > "$m/faulty.yaml"

# --- validate -----------------------------------------------------------------------------------
out=$(timeout 10 "$gatehouse" validate -m "${good_files[@]}" 2>&1)
status=$?
check "validate: the good Secrets and spec.tls sections pass (exit 0)" "0" "$status"
[ $status -eq 0 ] || echo "$out"
out=$(timeout 10 "$gatehouse" validate -m "$m" 2>&1)
check "validate: broken Secrets make it exit 1" "1" "$?"
unnamed=0
for s in "${broken_secrets[@]}"; do
  line=$(grep -F "Secret default/$s" <<<"$out" | grep -F 'spec.tls' | grep -F 'faulty' | head -1)
  if [ -n "$line" ]; then echo "ok: validate names Secret default/$s, spec.tls and Ingress faulty: $line"
  else fail "validate: no line naming Secret default/$s, spec.tls and Ingress faulty"; unnamed=1; fi
done
[ $unnamed -eq 0 ] || echo "validate printed:"$'\n'"$out"
if grep -F 'fine-tls' <<<"$out" | grep -qiw error; then fail "validate reports an error for the good fine-tls:"$'\n'"$out"
else echo "ok: validate has no error for fine-tls"; fi

# --- serve: two TLS listeners next to the plain one, no --default-certificate -------------------
tls=$(free_port)
tls2=$(free_port)
while [ "$tls2" == "$tls" ]; do tls2=$(free_port); done
start_serve --listen-tls 127.0.0.1:$tls --listen-tls 127.0.0.1:$tls2
for p in $tls $tls2; do wait_port $p || { cat "$workdir/serve.log"; exit 1; }; done

# presented PORT SNI [S_CLIENT-ARG...]: "SERIAL SUBJECT" of the certificate the server presents
# (SNI "-": none sent); empty when the handshake fails.
presented() {
  local port=$1 sni=$2
  shift 2
  local name=(-servername "$sni")
  [ "$sni" == - ] && name=(-noservername)
  timeout 10 openssl s_client -connect 127.0.0.1:$port "${name[@]}" "$@" </dev/null 2>/dev/null |
    timeout 10 openssl x509 -noout -serial -subject -nameopt RFC2253 2>/dev/null |
    sed 's/^[a-z]*=//' | tr '\n' ' ' | sed 's/ $//'
}
# https HOST PORT PATH [CURL-ARG...]: curl over TLS to 127.0.0.1:PORT with SNI and Host HOST,
# verifying the certificate against the test CA.
https() {
  local host=$1 port=$2 path=$3
  shift 3
  c --http1.1 --cacert "$workdir/ca.pem" --resolve "$host:$port:127.0.0.1" "$@" "https://$host:$port$path"
}

# SNI: the exact host, then the wildcard (exactly one more label), then the default certificate.
check "SNI foo.org: foo.org's certificate" "1001 CN=foo.org" "$(presented $tls foo.org)"
check "SNI bar.org: bar.org's certificate" "1002 CN=bar.org" "$(presented $tls bar.org)"
check "SNI FOO.ORG (case does not matter): foo.org's certificate" "1001 CN=foo.org" "$(presented $tls FOO.ORG)"
check "second TLS listener, SNI bar.org: bar.org's certificate" "1002 CN=bar.org" "$(presented $tls2 bar.org)"
check "SNI x.wild.org: the wildcard certificate" "1003 CN=*.wild.org" "$(presented $tls x.wild.org)"
default_cert=$(presented $tls nope.org)
contains "SNI nope.org: the self-signed default certificate" "CN=gatehouse default certificate" "$default_cert"
# (Compared whole below, serial included; never empty, so that a failed handshake cannot pass.)
[ -n "$default_cert" ] || default_cert="(no certificate for SNI nope.org)"
check "no SNI: the default certificate" "$default_cert" "$(presented $tls -)"
check "SNI a.b.wild.org (two labels under the wildcard): the default certificate" "$default_cert" \
  "$(presented $tls a.b.wild.org)"
check "SNI wild.org (the wildcard's parent): the default certificate" "$default_cert" "$(presented $tls wild.org)"
check "SNI plain.org (a rule, no spec.tls): the default certificate" "$default_cert" "$(presented $tls plain.org)"
contains "the log says the default certificate is self-signed" "self-signed" "$(cat "$workdir/serve.log")"

# Requests over TLS: routed by Host, the certificate verified by curl, X-Forwarded-* of the listener.
check "https foo.org /a" "name=foo-a" "$(https foo.org $tls /a | head -1)"
check "https foo.org /b" "name=foo-b" "$(https foo.org $tls /b | head -1)"
check "https bar.org /a" "name=bar-a" "$(https bar.org $tls /a | head -1)"
check "https bar.org /b on the second TLS listener" "name=bar-b" "$(https bar.org $tls2 /b | head -1)"
check "https x.wild.org (wildcard rule and certificate)" "name=foo-b" "$(https x.wild.org $tls /x | head -1)"
check "https baz.org (no rule): 404" "404" \
  "$(c --http1.1 -k -o /dev/null -w '%{http_code}' --resolve baz.org:$tls:127.0.0.1 https://baz.org:$tls/a)"
check "no SNI, Host: foo.org: routed by Host" "name=foo-a" \
  "$(c --http1.1 -k -H 'Host: foo.org' https://127.0.0.1:$tls/a | head -1)"
body=$(https foo.org $tls "/a/x?q=1")
contains "over TLS: the path and query reach the pod" "target=/a/x?q=1" "$body"
contains "over TLS: X-Forwarded-Proto: https" "header: X-Forwarded-Proto: https" "$body"
contains "over TLS: X-Forwarded-Port: the TLS port" "header: X-Forwarded-Port: $tls" "$body"
contains "over TLS: X-Forwarded-For" "header: X-Forwarded-For: 127.0.0.1" "$body"
contains "second TLS listener: X-Forwarded-Port: its port" "header: X-Forwarded-Port: $tls2" \
  "$(https foo.org $tls2 /a)"
if grep -q "X-Forwarded-Proto: http$" <<<"$body"; then fail "over TLS the pod also saw X-Forwarded-Proto: http"
else echo "ok: over TLS no X-Forwarded-Proto: http"; fi
body=$(c -H 'Host: plain.org' $url/a)
contains "plain HTTP: X-Forwarded-Proto: http" "header: X-Forwarded-Proto: http" "$body"
contains "plain HTTP: X-Forwarded-Port: the plain port" "header: X-Forwarded-Port: $proxy" "$body"
check "keep-alive over TLS: two requests, one connection" "10" \
  "$(https foo.org $tls /a -o /dev/null -o /dev/null -w '%{num_connects}' https://foo.org:$tls/b)"
check "3 MB upload over TLS" "body_bytes=3000000" \
  "$(head -c 3000000 /dev/zero | https foo.org $tls /a --data-binary @- | grep '^body_bytes=')"
check "1 MB download over TLS" "1000000" "$(https foo.org $tls /a/bytes/1000000 -o /dev/null -w '%{size_download}')"

# Protocol versions, with a control: the same -tls1_1 client succeeds against openssl s_server.
# handshake PORT ARG...: the protocol s_client negotiates, or "failed". (-brief prints it as soon as
# the handshake completes; the full output's SSL-Session block waits for a TLS 1.3 ticket.)
handshake() {
  local port=$1 out
  shift
  out=$(timeout 10 openssl s_client -brief -connect 127.0.0.1:$port "$@" </dev/null 2>&1)
  if grep -q '^CONNECTION ESTABLISHED' <<<"$out"; then sed -n 's/^Protocol version: //p' <<<"$out"
  else echo failed; fi
}
check "TLS 1.3" "TLSv1.3" "$(handshake $tls -servername foo.org -tls1_3)"
check "TLS 1.2" "TLSv1.2" "$(handshake $tls -servername foo.org -tls1_2)"
legacy=(-servername foo.org -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')
check "TLS 1.1 refused" "failed" "$(handshake $tls "${legacy[@]}")"
check "TLS 1.2 with a CBC cipher (ECDHE-ECDSA-AES128-SHA) refused" "failed" \
  "$(handshake $tls -servername foo.org -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA)"
control=$(free_port)
start timeout 20 openssl s_server -accept 127.0.0.1:$control -cert "$workdir/foo.pem" \
  -key "$workdir/foo.key" -cipher 'DEFAULT:@SECLEVEL=0' -quiet 2>/dev/null
control_pid=$last_pid
if wait_port $control; then
  check "control: the same TLS 1.1 client succeeds against openssl s_server" "TLSv1.1" \
    "$(handshake $control "${legacy[@]}")"
  check "control: the same CBC cipher succeeds against openssl s_server" "TLSv1.2" \
    "$(handshake $control -servername foo.org -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA)"
fi
kill $control_pid; wait $control_pid 2>/dev/null

# ALPN: http/1.1 (HTTP/2 is not offered yet, and not tested here).
check "ALPN http/1.1 selected" "ALPN protocol: http/1.1" \
  "$(timeout 10 openssl s_client -connect 127.0.0.1:$tls -servername foo.org -alpn http/1.1 </dev/null 2>/dev/null |
     grep -a '^ALPN protocol')"
check "curl over TLS speaks HTTP/1.1" "1.1" "$(https foo.org $tls /a -o /dev/null -w '%{http_version}')"

# Session resumption by tickets. TLS 1.3 tickets come after the handshake: a request is sent
# and the answer read to the end (Connection: close) so that the ticket has arrived.
request='GET /a HTTP/1.1\r\nHost: foo.org\r\nConnection: close\r\n\r\n'
# session VERSION FLAGS...: s_client with a request, its output
session() {
  printf "$request" | timeout 10 openssl s_client -connect 127.0.0.1:$tls -servername foo.org \
    -ign_eof "$@" 2>/dev/null
}
for v in 1_2 1_3; do
  out=$(session -tls$v -sess_out "$workdir/session-$v")
  check "TLS ${v/_/.}: first connection is new" "New" "$(grep -ao '^New\|^Reused' <<<"$out" | head -1)"
  contains "TLS ${v/_/.}: first connection answered" "name=foo-a" "$out"
  out=$(session -tls$v -sess_in "$workdir/session-$v")
  check "TLS ${v/_/.}: second connection resumes the session" "Reused, TLSv${v/_/.}" \
    "$(grep -ao '^Reused, TLSv1\.[0-9]\|^New, [^,]*' <<<"$out" | head -1)"
  contains "TLS ${v/_/.}: resumed connection answered" "name=foo-a" "$out"
done

# Plain HTTP sent to a TLS port: the connection ends at once (no hang), the listener still works.
t0=$(date +%s%N)
c -o /dev/null --max-time 5 -H 'Host: foo.org' http://127.0.0.1:$tls/a
status=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ $status -ne 28 ] && [ $ms -lt 3000 ]; then echo "ok: plain HTTP to the TLS port ends in $ms ms (curl exit $status)"
else fail "plain HTTP to the TLS port: curl exit $status after $ms ms"; fi
check "the TLS port still answers afterwards" "name=foo-a" "$(https foo.org $tls /a | head -1)"

# --- Broken Secrets: refused, logged, their hosts on the default certificate ---------------------
log=$(cat "$workdir/serve.log")
for s in "${broken_secrets[@]}"; do
  line=$(grep -F "Secret default/$s" <<<"$log" | grep -F 'spec.tls' | grep -F 'faulty' | head -1)
  if [ -n "$line" ]; then echo "ok: serve logs Secret default/$s refused: $line"
  else fail "serve: no log line naming Secret default/$s, spec.tls and Ingress faulty in:"$'\n'"$log"; fi
done
for host in garbage.org mismatch.org expired.org missing.org; do
  check "SNI $host (Secret refused): the default certificate" "$default_cert" "$(presented $tls $host)"
  check "plain HTTP $host (Secret refused): still 200" "200" \
    "$(c -o /dev/null -w '%{http_code}' -H "Host: $host" $url/a)"
done
check "https garbage.org (default certificate, not verified): still routed" "name=bar-a" \
  "$(c --http1.1 -k --resolve garbage.org:$tls:127.0.0.1 https://garbage.org:$tls/ | head -1)"
check "SNI fine.org, good Secret in the same spec.tls: its own certificate" "1004 CN=fine.org" \
  "$(presented $tls fine.org)"
check "https fine.org verifies and is routed" "name=bar-a" "$(https fine.org $tls / | head -1)"
check "other Ingresses keep theirs: SNI foo.org" "1001 CN=foo.org" "$(presented $tls foo.org)"

# --- Live change of foo-tls ---------------------------------------------------------------------
# A connection opened before the change (s_client fed through a FIFO) sends a first request now
# and a second one after the change.
mkfifo "$workdir/held.in"
start bash -c "exec timeout 20 openssl s_client -quiet -connect 127.0.0.1:$tls -servername foo.org \
  <'$workdir/held.in' >'$workdir/held.out' 2>'$workdir/held.err'"
held_pid=$last_pid
exec 5<>"$workdir/held.in"  # read-write: opening does not wait for the reader
printf 'GET /a HTTP/1.1\r\nHost: foo.org\r\n\r\n' >&5
for _ in $(seq 50); do grep -q '^name=foo-a' "$workdir/held.out" && break; sleep 0.1; done
check "held connection: first request answered" "name=foo-a" "$(grep -a '^name=' "$workdir/held.out")"

serve_log_lines=$(wc -l < "$workdir/serve.log")
tls_secret foo-tls "$workdir/foo-new.pem" "$workdir/foo-new.key" > "$workdir/secret-foo.new"
t0=$(date +%s%N)
mv "$workdir/secret-foo.new" "$m/secret-foo.yaml"
got=
for _ in $(seq 40); do
  got=$(presented $tls foo.org)
  [ "$got" == "1011 CN=foo.org" ] && break
  sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
check "after the Secret changed: new handshakes get the new certificate" "1011 CN=foo.org" "$got"
echo "new certificate presented $ms ms after the rename"
if [ $ms -le 2500 ]; then echo "ok: switched within ~2 s"; else fail "switched after $ms ms"; fi
if kill -0 $serve_pid 2>/dev/null; then echo "ok: the same serve process (no restart)"
else fail "serve is gone after the Secret changed"; fi
check "after the change: https foo.org verifies the new certificate" "name=foo-a" "$(https foo.org $tls /a | head -1)"
check "after the change: bar.org unchanged" "1002 CN=bar.org" "$(presented $tls bar.org)"
printf 'GET /b HTTP/1.1\r\nHost: foo.org\r\nConnection: close\r\n\r\n' >&5
for _ in $(seq 50); do grep -q '^name=foo-b' "$workdir/held.out" && break; sleep 0.1; done
check "held connection opened before the change: second request answered" "name=foo-a name=foo-b " \
  "$(grep -a '^name=' "$workdir/held.out" | tr '\n' ' ')"
exec 5>&-
wait $held_pid 2>/dev/null
echo "serve log lines after the change:"; tail -n +$((serve_log_lines + 1)) "$workdir/serve.log" | head -5

# --- --default-certificate, TLS listeners only (no --listen) ------------------------------------
tls3=$(free_port)
tls4=$(free_port)
while [ "$tls4" == "$tls3" ]; do tls4=$(free_port); done
start "$gatehouse" serve -m "$m" --listen-tls 127.0.0.1:$tls3 --listen-tls 127.0.0.1:$tls4 --workers 2 \
  --default-certificate default/default-tls 2>"$workdir/serve-tls-only.log"
tls_only_pid=$last_pid
for p in $tls3 $tls4; do wait_port $p || { cat "$workdir/serve-tls-only.log"; exit 1; }; done
check "--default-certificate: SNI nope.org gets it" "1009 CN=default.test" "$(presented $tls3 nope.org)"
check "--default-certificate: no SNI gets it" "1009 CN=default.test" "$(presented $tls3 -)"
check "--default-certificate: a refused Secret's host gets it" "1009 CN=default.test" "$(presented $tls4 garbage.org)"
check "--default-certificate: foo.org keeps its own" "CN=foo.org" "$(presented $tls3 foo.org | cut -d' ' -f2)"
check "TLS listeners only: https bar.org /b" "name=bar-b" "$(https bar.org $tls4 /b | head -1)"
if grep -qF 'self-signed' "$workdir/serve-tls-only.log"; then
  fail "a self-signed certificate was made although --default-certificate names one:"$'\n'"$(cat "$workdir/serve-tls-only.log")"
else echo "ok: no self-signed certificate with --default-certificate"; fi

out=$(timeout 10 "$gatehouse" serve -m "$m" --workers 1 2>&1)
status=$?
if [ $status -ne 0 ] && [ $status -ne 124 ]; then echo "ok: neither --listen nor --listen-tls: serve refuses (exit $status)"
else fail "serve without any listener: exit $status:"$'\n'"$out"; fi
contains "neither --listen nor --listen-tls: the message names both flags" "--listen-tls" "$out"

# Graceful shutdown of both serves: exit 0.
for pid in $tls_only_pid $serve_pid; do
  kill -TERM $pid
  wait $pid
  check "SIGTERM: exit 0" "0" "$?"
done
finish
