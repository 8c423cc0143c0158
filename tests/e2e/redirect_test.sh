#!/usr/bin/env bash
# HTTP→HTTPS redirects of gatehouse serve, seen by curl: on the plain listener a host with a loaded
# certificate from spec.tls (exact or wildcard) answers 308 to https://HOST:TLSPORT/original?query
# (the first --listen-tls port, or --https-port, omitted at 443), POST too, with Connection: close;
# ACME HTTP-01 challenges, hosts without TLS and hosts whose Secret was refused are proxied as
# before; curl -L ends at the pod over TLS; a Secret fixed live starts the redirects;
# --ssl-redirect=false turns them off.
# usage: redirect_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
c() { timeout 10 curl -s "$@"; }

# --- Certificates and manifests -----------------------------------------------------------------
source "$source_dir/tests/e2e/tls_lib.sh"
make_cert foo 2001 foo.org
make_cert wild 2002 '*.wild.org'
make_cert broken 2003 broken.org
printf -- '-----BEGIN CERTIFICATE-----\nThis is not a certificate at all.\n-----END CERTIFICATE-----\n' \
  > "$workdir/garbage.pem"
# rule HOST PATH SERVICE PORT: one Ingress rule, Prefix.
rule() {
  printf '  - host: "%s"\n    http:\n      paths:\n      - path: %s\n        pathType: Prefix\n        backend:\n          service:\n            name: %s\n            port:\n              number: %s\n' "$@"
}
# ingress_head NAME HOST:SECRET...: an Ingress in namespace default up to its rules.
ingress_head() {
  printf 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %s\n  namespace: default\nspec:\n' "$1"
  shift
  [ $# -gt 0 ] && printf '  tls:\n'
  for item in "$@"; do printf '  - hosts: ["%s"]\n    secretName: %s\n' "${item%%:*}" "${item#*:}"; done
  printf '  rules:\n'
}

start_foobar_pods "$workdir/echo.log"
mkdir "$workdir/manifests"
m=$workdir/manifests
# foobar with TLS for foo.org only: bar.org stays plain.
foobar_manifest "${ports[@]}" |
  perl -0pe 's/^spec:\n/spec:\n  tls:\n  - hosts:\n    - foo.org\n    secretName: foo-tls\n/m' > "$m/foobar.yaml"
check "foobar.yaml got its spec.tls section" "1" "$(grep -c 'secretName: ' "$m/foobar.yaml")"
tls_secret foo-tls "$workdir/foo.pem" "$workdir/foo.key" > "$m/secret-foo.yaml"
tls_secret wild-tls "$workdir/wild.pem" "$workdir/wild.key" > "$m/secret-wild.yaml"
# broken.org's Secret holds garbage: refused, so broken.org must not be redirected.
tls_secret broken-tls "$workdir/garbage.pem" "$workdir/broken.key" > "$m/secret-broken.yaml"
{ ingress_head ingress-two '*.wild.org:wild-tls' broken.org:broken-tls
  rule '*.wild.org' / foo-b 8181
  rule broken.org / bar-a 9090
} > "$m/ingress-two.yaml"
# cert-manager's HTTP-01 solver: its own Ingress, a path of foo.org under the challenge prefix.
{ ingress_head acme-solver
  rule foo.org /.well-known/acme-challenge/ bar-b 9191
} > "$m/acme.yaml"

tls=$(free_port)
tls2=$(free_port)
while [ "$tls2" == "$tls" ]; do tls2=$(free_port); done
start_serve --listen-tls 127.0.0.1:$tls --listen-tls 127.0.0.1:$tls2
for p in $tls $tls2; do wait_port $p || { cat "$workdir/serve.log"; exit 1; }; done

# answer [CURL-ARG...] URL: "STATUS LOCATION" (LOCATION as sent, empty without one).
answer() { c -o /dev/null -w '%{http_code} %header{location}' "$@"; }
# headers [CURL-ARG...] URL: the response head, CR removed.
headers() { c -o /dev/null -D - "$@" | tr -d '\r'; }

# --- Redirected: hosts with a loaded certificate -------------------------------------------------
check "foo.org: 308 to https, the first TLS port, path and query kept" "308 https://foo.org:$tls/a/x?q=1" \
  "$(answer -H 'Host: foo.org' "$url/a/x?q=1")"
check "foo.org:PORT in Host: the port removed" "308 https://foo.org:$tls/a" \
  "$(answer -H "Host: foo.org:$proxy" $url/a)"
check "a path no rule names: redirected too" "308 https://foo.org:$tls/nothing/here" \
  "$(answer -H 'Host: foo.org' $url/nothing/here)"
check "percent-encoded path and query kept as sent" "308 https://foo.org:$tls/a/x%20y/%41?q=a%2Fb&r=1" \
  "$(answer -H 'Host: foo.org' --path-as-is "$url/a/x%20y/%41?q=a%2Fb&r=1")"
check "an empty query is not invented" "308 https://foo.org:$tls/" "$(answer -H 'Host: foo.org' $url/)"
check "FOO.ORG (case does not matter): 308" "308" "$(answer -H 'Host: FOO.ORG' $url/a | cut -d' ' -f1)"
check "x.wild.org (wildcard certificate): 308" "308 https://x.wild.org:$tls/a" \
  "$(answer -H 'Host: x.wild.org' $url/a)"
resp=$(printf 'GET http://foo.org/a?z=1 HTTP/1.1\r\nHost: foo.org\r\nConnection: close\r\n\r\n' |
  timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$proxy; cat >&3; cat <&3" | tr -d '\r' | sed '/^$/q')
check "absolute-form request: 308" "308" "$(head -1 <<<"$resp" | cut -d' ' -f2)"
check "absolute-form request: Location from its authority and path" "https://foo.org:$tls/a?z=1" \
  "$(sed -n 's/^[Ll]ocation: //p' <<<"$resp")"
check "HEAD: 308" "308" "$(answer -I -H 'Host: foo.org' $url/a | cut -d' ' -f1)"
check "GET redirects keep the connection: two on one connection" "308 1 308 0 " \
  "$(c -o /dev/null -o /dev/null -w '%{http_code} %{num_connects} ' -H 'Host: foo.org' $url/a $url/b)"
resp=$(headers -X POST --data 'x=1' -H 'Host: foo.org' $url/a)
check "POST with a body: 308" "308" "$(head -1 <<<"$resp" | cut -d' ' -f2)"
check "POST with a body: Location" "https://foo.org:$tls/a" "$(sed -n 's/^[Ll]ocation: //p' <<<"$resp")"
check "POST with a body: Connection: close" "connection: close" \
  "$(grep -i '^connection:' <<<"$resp" | tr A-Z a-z)"
head -c 1000000 /dev/zero > "$workdir/upload"
check "POST with a 1 MB body: 308" "308" \
  "$(c -o /dev/null -w '%{http_code}' -H 'Expect:' -H 'Host: foo.org' --data-binary @"$workdir/upload" $url/a)"

# --- Not redirected ------------------------------------------------------------------------------
body=$(c -H 'Host: foo.org' $url/.well-known/acme-challenge/tok123)
check "ACME HTTP-01 challenge: proxied to the solver" "name=bar-b" "$(head -1 <<<"$body")"
contains "ACME HTTP-01 challenge: the pod sees the path" "target=/.well-known/acme-challenge/tok123" "$body"
check "another /.well-known path: redirected" "308 https://foo.org:$tls/.well-known/other" \
  "$(answer -H 'Host: foo.org' $url/.well-known/other)"
body=$(c -H 'Host: bar.org' $url/a)
check "bar.org (no spec.tls): proxied, 200" "name=bar-a" "$(head -1 <<<"$body")"
contains "bar.org: the pod sees X-Forwarded-Proto: http" "header: X-Forwarded-Proto: http" "$body"
check "a.b.wild.org (not covered by the wildcard): no redirect, no rule: 404" "404" \
  "$(answer -H 'Host: a.b.wild.org' $url/a | cut -d' ' -f1)"
line=$(grep -F 'Secret default/broken-tls' "$workdir/serve.log" | grep -F 'spec.tls' | grep -F 'ingress-two' | head -1)
if [ -n "$line" ]; then echo "ok: serve logs Secret default/broken-tls refused: $line"
else fail "serve: no log line naming Secret default/broken-tls, spec.tls and Ingress ingress-two in:"$'\n'"$(cat "$workdir/serve.log")"; fi
check "broken.org (Secret refused): not redirected, 200" "200 " "$(answer -H 'Host: broken.org' $url/a)"

# --- Following the redirect over TLS -------------------------------------------------------------
resolve=(--cacert "$workdir/ca.pem" --resolve foo.org:$proxy:127.0.0.1 --resolve foo.org:$tls:127.0.0.1)
out=$(c --http1.1 -L "${resolve[@]}" -w '\n%{http_code} %{num_redirects} %{url_effective}' http://foo.org:$proxy/a)
check "curl -L: ends at foo-a over TLS" "name=foo-a" "$(head -1 <<<"$out")"
check "curl -L: one redirect, 200 from https://foo.org:$tls/a" "200 1 https://foo.org:$tls/a" "$(tail -1 <<<"$out")"
contains "curl -L: the pod sees X-Forwarded-Proto: https" "header: X-Forwarded-Proto: https" "$out"
check "over TLS foo.org is not redirected again" "200 " \
  "$(answer --http1.1 "${resolve[@]}" https://foo.org:$tls/a)"
check "over the second TLS listener neither" "200 " \
  "$(answer --http1.1 --cacert "$workdir/ca.pem" --resolve foo.org:$tls2:127.0.0.1 https://foo.org:$tls2/b)"

# --- The refused Secret fixed live: broken.org starts redirecting --------------------------------
tls_secret broken-tls "$workdir/broken.pem" "$workdir/broken.key" > "$workdir/secret-broken.new"
mv "$workdir/secret-broken.new" "$m/secret-broken.yaml"
got=
for _ in $(seq 30); do
  got=$(answer -H 'Host: broken.org' $url/a)
  [ "${got%% *}" == 308 ] && break
  sleep 0.1
done
check "broken.org's Secret fixed: 308 within 3 s" "308 https://broken.org:$tls/a" "$got"
check "broken.org over TLS: its own certificate now, verified" "name=bar-a" \
  "$(c --http1.1 --cacert "$workdir/ca.pem" --resolve broken.org:$tls:127.0.0.1 https://broken.org:$tls/a | head -1)"

# --- Flags: --ssl-redirect=false, --https-port ---------------------------------------------------
# other_serve NAME ARG...: another serve on these manifests with a plain and a TLS listener; its
# plain port in $other.
other_serve() {
  local name=$1 tls_port
  shift
  other=$(free_port)
  tls_port=$(free_port)
  start "$gatehouse" serve -m "$m" --listen 127.0.0.1:$other --listen-tls 127.0.0.1:$tls_port \
    --workers 2 "$@" 2>"$workdir/serve-$name.log"
  wait_port $other || cat "$workdir/serve-$name.log"
}
other_serve no-redirect --ssl-redirect=false
body=$(c -H 'Host: foo.org' http://127.0.0.1:$other/a)
check "--ssl-redirect=false: foo.org proxied" "name=foo-a" "$(head -1 <<<"$body")"
contains "--ssl-redirect=false: X-Forwarded-Proto: http" "header: X-Forwarded-Proto: http" "$body"
check "--ssl-redirect=false: x.wild.org proxied" "name=foo-b" "$(c -H 'Host: x.wild.org' http://127.0.0.1:$other/a | head -1)"
other_serve port-443 --https-port 443
check "--https-port 443: no port in Location" "308 https://foo.org/a/x?q=1" \
  "$(answer -H 'Host: foo.org' "http://127.0.0.1:$other/a/x?q=1")"
other_serve port-8443 --https-port 8443
check "--https-port 8443: that port in Location" "308 https://foo.org:8443/a/x?q=1" \
  "$(answer -H 'Host: foo.org' "http://127.0.0.1:$other/a/x?q=1")"
check "--https-port 8443 with a Host port: replaced" "308 https://x.wild.org:8443/" \
  "$(answer -H "Host: x.wild.org:$other" "http://127.0.0.1:$other/")"

kill -TERM $serve_pid
wait $serve_pid
check "SIGTERM: exit 0" "0" "$?"
finish
